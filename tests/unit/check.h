/* Minimal test harness: CHECK counts, the runner prints the closing line
 * "N passed, M failed" that CI reads. */
#ifndef IKEPROBE_CHECK_H
#define IKEPROBE_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_pass, check_fail;

#define CHECK(cond) do { \
	if (cond) \
		check_pass++; \
	else { \
		check_fail++; \
		fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, \
		    __LINE__, __func__, #cond); \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ == b_) \
		check_pass++; \
	else { \
		check_fail++; \
		fprintf(stderr, "%s:%d: %s: %s == %lld, expected %s == %lld\n", \
		    __FILE__, __LINE__, __func__, #a, a_, #b, b_); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (strcmp(a_, b_) == 0) \
		check_pass++; \
	else { \
		check_fail++; \
		fprintf(stderr, "%s:%d: %s: %s == \"%s\", expected \"%s\"\n", \
		    __FILE__, __LINE__, __func__, #a, a_, b_); \
	} \
} while (0)

static inline int
check_done(void)
{
	printf("%d passed, %d failed\n", check_pass, check_fail);
	return check_fail ? 1 : 0;
}

#endif
