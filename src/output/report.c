/* Names shared by every renderer, so text and JSON say the same words. */
#include <stdio.h>
#include <time.h>

#include "ikeprobe/report.h"

const char *
port_state_name(enum port_state s)
{
	switch (s) {
	case PORT_OPEN:		return "open";
	case PORT_CLOSED:	return "closed";
	case PORT_FILTERED:	return "filtered";
	case PORT_SILENT:	return "silent";
	case PORT_UNTESTED:	return "untested";
	}
	return "?";
}

const char *
severity_name(enum severity s)
{
	switch (s) {
	case SEV_INFO:		return "info";
	case SEV_WARNING:	return "warning";
	case SEV_ERROR:		return "error";
	}
	return "?";
}

const char *
reply_json_name(enum ike_reply_kind k)
{
	switch (k) {
	case IKE_REPLY_NONE:
		return NULL;
	case IKE_REPLY_OTHER:
		return "error";	/* an IKE answer, but not one we can name */
	case IKE_REPLY_SA:
	case IKE_REPLY_COOKIE:
	case IKE_REPLY_INVALID_KE:
	case IKE_REPLY_NO_PROPOSAL:
	case IKE_REPLY_ERROR:
		break;
	}
	return ike_reply_kind_name(k);
}

void
rfc3339(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
hexstr(const uint8_t *d, size_t n, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", d[i]);
	if (len)
		buf[2 * (i < n ? i : n)] = '\0';
}
