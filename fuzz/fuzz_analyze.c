/* ikeprobe analyze on a hostile capture file: libpcap's reader, then the
 * tracker, the judgement and every rendering. An input that is not a
 * capture file is taken as frames of raw IP, each behind a 2-byte length,
 * so the tracker sees far more shapes than valid files would give it.
 * What the analysis holds must respect its tables. */
#include <json-c/json.h>

#include "fuzz.h"
#include "ikeprobe/analysis.h"

static void
frames_raw(struct analysis *a, const uint8_t *d, size_t n)
{
	uint32_t no = 0;

	while (n >= 2) {
		size_t len = (size_t)(d[0] << 8 | d[1]);

		d += 2;
		n -= 2;
		if (len > n)
			len = n;
		no++;
		analysis_frame(a, no, (usec_t)no * 1000, LINK_RAW, d, len);
		d += len;
		n -= len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct analysis *a = calloc(1, sizeof(*a));
	json_object *j;
	FILE *null;

	if (a == NULL)
		return 0;
	analysis_init(a, "fuzz");
	if (analysis_read_mem(a, data, size) < 0) {
		analysis_free(a);
		analysis_init(a, "fuzz");
		frames_raw(a, data, size);
	}
	analysis_judge(a);
	FZ_CHECK(a->n_conv <= AN_CONVS && a->n_dgram <= AN_DGRAMS &&
	    a->n_findings <= AN_FINDINGS);
	for (int i = 0; i < a->n_conv; i++) {
		FZ_CHECK(a->conv[i].n_sa <= AN_SAS);
		for (int k = 0; k < a->conv[i].n_sa; k++)
			FZ_CHECK(a->conv[i].sa[k].n_ex <= AN_EXCH);
	}
	for (int i = 0; i < a->n_dgram; i++)
		FZ_CHECK(a->dgram[i].n_pieces <= AN_DGRAM_FRAGS &&
		    (a->dgram[i].conv >= -1 && a->dgram[i].conv < a->n_conv));
	j = analysis_json(a);
	FZ_CHECK(json_object_to_json_string(j) != NULL);
	json_object_put(j);
	if ((null = fopen("/dev/null", "w")) != NULL) {
		analysis_text(null, a, 80);
		analysis_markdown(null, a);
		fclose(null);
	}
	analysis_free(a);
	free(a);
	return 0;
}
