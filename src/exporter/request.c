/* One /probe request (exporter.h). Its target, module and scrape timeout
 * are whatever an HTTP client sent, and the target goes on to a resolver
 * and to raw sockets: so it is checked here against a narrow grammar,
 * not cleaned. A resolver reads more than host names (glibc's getaddrinfo
 * takes 0x7f000001, 127.1 and 2130706433 for 127.0.0.1 through
 * inet_aton), so a name it would read as an address is refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "ikeprobe/exporter.h"

#define QUOTE_MAX	64	/* bytes of the input an error quotes */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s as an error may quote it in an HTTP answer or a log: at most
 * QUOTE_MAX bytes, printable ASCII only, nothing HTML or a shell gives a
 * meaning to; everything else becomes `?'. */
static void
quote(char *out, size_t len, const char *s)
{
	size_t i, j = 0;

	if (len == 0)
		return;
	for (i = 0; s[i] != '\0' && i < QUOTE_MAX && j + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		out[j++] = c < 0x20 || c > 0x7e || strchr("<>&\"'\\`", c) ?
		    '?' : (char)c;
	}
	if (s[i] != '\0')
		for (const char *e = "..."; *e && j + 1 < len; e++)
			out[j++] = *e;
	out[j] = '\0';
}

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

bool
exporter_seconds_parse(const char *s, size_t n, double *out)
{
	unsigned long long whole = 0, frac = 0, scale = 1;
	size_t i = 0, digits;

	for (digits = 0; i < n && is_digit(s[i]); i++, digits++) {
		if (digits == 9)
			return false;
		whole = whole * 10 + (unsigned)(s[i] - '0');
	}
	if (digits == 0)
		return false;
	if (i < n) {
		if (s[i++] != '.')
			return false;
		for (digits = 0; i < n && is_digit(s[i]); i++, digits++) {
			if (digits == 9)
				return false;
			frac = frac * 10 + (unsigned)(s[i] - '0');
			scale *= 10;
		}
		if (digits == 0 || i != n)
			return false;
	}
	*out = (double)whole + (double)frac / (double)scale;
	return true;
}

bool
exporter_address_usable(const struct ip_addr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[16];

	if (a->family == AF_INET)
		/* 0/8 "this network" (0.0.0.0 reaches this host), 224/4
		 * multicast, 240/4 reserved with 255.255.255.255 in it. */
		return a->a[0] != 0 && a->a[0] < 224;
	if (a->family == AF_INET6)
		return memcmp(a->a, zero, 16) != 0 && a->a[0] != 0xff &&
		    memcmp(a->a, mapped, sizeof(mapped)) != 0;
	return false;
}

static enum exporter_target_kind
bad(const char **why, const char *what)
{
	*why = what;
	return EXPORTER_TARGET_BAD;
}

/* A parsed address: usable, and in its one text form. */
static enum exporter_target_kind
address(struct ip_addr *a, char *norm, size_t norm_len, const char **why)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!exporter_address_usable(a)) {
		if (a->family == AF_INET6 && memcmp(a->a, mapped, 12) == 0)
			return bad(why, "is an IPv4-mapped IPv6 address: give "
			    "the IPv4 address");
		return bad(why, "is not an address a gateway can have "
		    "(unspecified, multicast or reserved)");
	}
	if (inet_ntop(a->family, a->a, norm, (socklen_t)norm_len) == NULL)
		return bad(why, "is too long");
	return EXPORTER_TARGET_ADDRESS;
}

static enum exporter_target_kind
ipv6(const char *s, size_t n, char *norm, size_t norm_len, struct ip_addr *a,
    const char **why)
{
	char buf[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(buf))
		return bad(why, "is not an IPv6 address");
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s[i]) && s[i] != ':' && s[i] != '.')
			return bad(why, "is not an IPv6 address");
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, a->a) != 1)
		return bad(why, "is not an IPv6 address");
	a->family = AF_INET6;
	return address(a, norm, norm_len, why);
}

/* RFC 1123 2.1 host name: labels of 1 to 63 letters, digits and hyphens,
 * neither first nor last a hyphen, at most 253 bytes; n excludes a
 * trailing dot. */
static enum exporter_target_kind
host_name(const char *s, size_t n, char *norm, const char **why)
{
	struct in_addr ia;
	size_t start = 0;
	bool numeric = true;

	if (n == 0)
		return bad(why, "is empty");
	if (n > EXPORTER_TARGET_MAX)
		return bad(why, "is longer than 253 bytes");
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			numeric = numeric && is_digit(s[i]);
			continue;
		}
		if (i == start)
			return bad(why, "has an empty label (a leading dot or "
			    "two dots)");
		if (i - start > 63)
			return bad(why, "has a label longer than 63 bytes");
		if (s[start] == '-' || s[i - 1] == '-')
			return bad(why, "has a label that starts or ends with "
			    "a hyphen");
		if (i < n) {
			start = i + 1;
			numeric = true;
		}
	}
	/* The last label all digits: a resolver may read it as an IPv4
	 * address; no top-level domain is numeric (RFC 1123 2.1). */
	if (numeric)
		return bad(why, "is no IPv4 address (four decimal numbers) and "
		    "no host name (its last label is a number)");
	for (size_t i = 0; i < n; i++)
		norm[i] = lower(s[i]);
	norm[n] = '\0';
	if (inet_aton(norm, &ia) != 0)
		return bad(why, "reads as an IPv4 address to a resolver: give "
		    "four decimal numbers");
	return EXPORTER_TARGET_NAME;
}

static enum exporter_target_kind
check(const char *s, char *norm, size_t norm_len, struct ip_addr *a,
    const char **why)
{
	size_t n;
	bool dots_digits = true, colon = false;

	if (s == NULL || s[0] == '\0')
		return bad(why, "is empty");
	/* Room for a trailing dot; a bracketed IPv6 address is shorter. */
	if ((n = strnlen(s, EXPORTER_TARGET_MAX + 2)) > EXPORTER_TARGET_MAX + 1)
		return bad(why, "is longer than 253 bytes");
	if (s[0] == '-')
		return bad(why, "starts with a hyphen");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return bad(why, "has a space, a control character or a "
			    "byte that is not ASCII");
		if (c == '%')
			return bad(why, "has a `%': no zone index, no URL "
			    "encoding left");
		if (c == '/')
			return bad(why, "has a `/': a target is one host, not "
			    "a prefix or a path");
		if (!is_alnum((char)c) && !strchr("-.:[]", c))
			return bad(why, "has a character that is not a letter, "
			    "digit, hyphen or dot (or an IPv6 address's colon)");
		dots_digits = dots_digits && (c == '.' || is_digit((char)c));
		colon = colon || c == ':';
	}
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']' || memchr(s + 1, '[', n - 2) ||
		    memchr(s + 1, ']', n - 2))
			return bad(why, "has a bracket that does not enclose an "
			    "IPv6 address");
		return ipv6(s + 1, n - 2, norm, norm_len, a, why);
	}
	if (memchr(s, '[', n) || memchr(s, ']', n))
		return bad(why, "has a bracket that does not enclose an IPv6 "
		    "address");
	if (colon)
		return ipv6(s, n, norm, norm_len, a, why);
	if (dots_digits) {
		/* glibc's inet_pton takes four decimal numbers 0-255, each
		 * without a leading zero: nothing octal, nothing short. */
		if (inet_pton(AF_INET, s, a->a) != 1)
			return bad(why, "is not an IPv4 address (four decimal "
			    "numbers 0-255, no leading zero)");
		a->family = AF_INET;
		return address(a, norm, norm_len, why);
	}
	return host_name(s, s[n - 1] == '.' ? n - 1 : n, norm, why);
}

enum exporter_target_kind
exporter_target_check(const char *s, char *norm, size_t norm_len,
    struct ip_addr *a, const char **why)
{
	enum exporter_target_kind k;

	memset(a, 0, sizeof(*a));
	*why = NULL;
	if (norm_len < EXPORTER_TARGET_MAX + 1)
		return bad(why, "has no room");	/* the caller's mistake */
	if ((k = check(s, norm, norm_len, a, why)) == EXPORTER_TARGET_BAD) {
		memset(a, 0, sizeof(*a));
		norm[0] = '\0';
	}
	return k;
}

const struct exporter_module *
exporter_module_find(const struct exporter_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_modules; i++)
		if (strcmp(cfg->modules[i].name, name) == 0)
			return &cfg->modules[i];
	return NULL;
}

/* The deadline: the module's, or Prometheus' less the offset when that is
 * shorter; never below the floor. */
static void
deadline(const struct exporter_config *cfg, const struct exporter_module *m,
    const char *hdr, struct exporter_request *out)
{
	double t = m->timeout, h;
	size_t b = 0, e;

	out->timeout_source = EXPORTER_TIMEOUT_MODULE;
	if (hdr != NULL) {
		/* An HTTP header value may have white space around it. */
		e = strlen(hdr);
		while (b < e && (hdr[b] == ' ' || hdr[b] == '\t'))
			b++;
		while (e > b && (hdr[e - 1] == ' ' || hdr[e - 1] == '\t'))
			e--;
		if (exporter_seconds_parse(hdr + b, e - b, &h)) {
			out->timeout_source = EXPORTER_TIMEOUT_SCRAPE;
			if (h - cfg->timeout_offset < t)
				t = h - cfg->timeout_offset;
		} else
			out->timeout_source = EXPORTER_TIMEOUT_BAD_HEADER;
	}
	out->timeout = t < EXPORTER_TIMEOUT_MIN ? EXPORTER_TIMEOUT_MIN : t;
}

int
exporter_request_parse(const struct exporter_config *cfg, const char *target,
    const char *module, const char *hdr, struct exporter_request *out,
    char *err, size_t errlen)
{
	enum exporter_target_kind kind;
	const char *why;
	char q[QUOTE_MAX + 4], names[EXPORTER_MAX_MODULES *
	    (EXPORTER_MODULE_NAME + 2)];
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	out->module_index = -1;
	if (errlen)
		err[0] = '\0';
	if (target == NULL || target[0] == '\0')
		return fail(err, errlen, "no target: give "
		    "/probe?target=GATEWAY (a host name or an IP address)");
	kind = exporter_target_check(target, out->target, sizeof(out->target),
	    &out->addr, &why);
	if (kind == EXPORTER_TARGET_BAD) {
		quote(q, sizeof(q), target);
		memset(out, 0, sizeof(*out));
		out->module_index = -1;
		return fail(err, errlen, "target `%s' %s", q, why);
	}
	out->is_address = kind == EXPORTER_TARGET_ADDRESS;

	if (module == NULL || module[0] == '\0')
		out->module_index = cfg->default_module;
	else if ((out->module = exporter_module_find(cfg, module)) != NULL)
		out->module_index = (int)(out->module - cfg->modules);
	if (out->module_index < 0 || out->module_index >= cfg->n_modules) {
		names[0] = '\0';
		for (int i = 0; i < cfg->n_modules && off < sizeof(names); i++) {
			int w = snprintf(names + off, sizeof(names) - off,
			    "%s%s", i ? ", " : "", cfg->modules[i].name);

			off += w > 0 ? (size_t)w : 0;
		}
		quote(q, sizeof(q), module ? module : "");
		out->module = NULL;
		out->module_index = -1;
		return fail(err, errlen, "unknown module `%s': give one of %s",
		    q, names);
	}
	out->module = &cfg->modules[out->module_index];
	deadline(cfg, out->module, hdr, out);
	return 0;
}

/* a in the prefix p/bits (same family, and the first bits equal). */
static bool
in_prefix(const struct ip_addr *a, const struct ip_addr *p, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (a->family != p->family || bits < 0 ||
	    bits > (a->family == AF_INET6 ? 128 : 32))
		return false;
	if (memcmp(a->a, p->a, (size_t)whole) != 0)
		return false;
	return rest == 0 || ((a->a[whole] ^ p->a[whole]) &
	    (0xff << (8 - rest)) & 0xff) == 0;
}

/* name, in any case and with or without a trailing dot, is entry (a
 * normal form: lowercase, no trailing dot). */
static bool
name_is(const char *entry, const char *name)
{
	size_t n = strlen(name), e = strlen(entry);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n == e && e > 0 && strncasecmp(entry, name, n) == 0;
}

bool
exporter_allowed(const struct exporter_config *cfg, const struct ip_addr *a,
    const char *name)
{
	if (a != NULL && !exporter_address_usable(a))
		return false;
	if (cfg->n_allow == 0)
		return true;
	for (int i = 0; i < cfg->n_allow; i++) {
		const struct exporter_allow *e = &cfg->allow[i];

		if (e->is_prefix && a != NULL && in_prefix(a, &e->prefix,
		    e->bits))
			return true;
		if (!e->is_prefix && name != NULL && name_is(e->name, name))
			return true;
	}
	return false;
}
