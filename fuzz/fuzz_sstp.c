/* The SSTP check's reply parsers on what a server on TCP 443 might send:
 * the HTTP answer to SSTP_DUPLEX_POST, then the control packet after it
 * (and the input as a control packet alone). Every length the parsers
 * hand back must lie inside the input. */
#include "fuzz.h"
#include "ikeprobe/sstp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sstp_http_head h;
	struct sstp_ctrl k;
	enum sstp_head_status st = sstp_http_parse(data, size, &h);

	FZ_CHECK(strlen(h.reason) < sizeof(h.reason));
	FZ_CHECK(strlen(h.server) < sizeof(h.server));
	FZ_CHECK(strlen(h.length) < sizeof(h.length));
	if (st == SSTP_HEAD_DONE) {
		FZ_CHECK(h.head_len >= 4 && h.head_len <= size &&
		    h.head_len <= SSTP_MAX_HEAD);
		FZ_CHECK(memcmp(data + h.head_len - 4, "\r\n\r\n", 4) == 0);
		FZ_CHECK(h.status >= 100 && h.status <= 999);
		if (sstp_ctrl_parse(data + h.head_len, size - h.head_len, &k) ==
		    SSTP_CTRL_DONE)
			FZ_CHECK(k.length >= 8 && k.length <= size - h.head_len);
	}
	if (sstp_ctrl_parse(data, size, &k) == SSTP_CTRL_DONE) {
		FZ_CHECK(k.length >= 8 && k.length <= size && k.control);
		FZ_CHECK(k.version == SSTP_VERSION);
	}
	return 0;
}
