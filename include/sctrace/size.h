/* The ring size setting (SCTRACE_RING_SIZE, sctrace --ring-size), parsed
 * the same way by the preload library and the command. */
#ifndef SCTRACE_SIZE_H
#define SCTRACE_SIZE_H

#include <stdlib.h>

#define SCT_RING_MIN (16ull << 10)
#define SCT_RING_MAX (4ull << 30)

/* "N", "NK", "NM" or "NG" in SCT_RING_MIN..SCT_RING_MAX: 0 and the bytes
 * in *OUT, or -1. */
static inline int sct_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long long n = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		n <<= 20, end++;
	else if (*end == 'g' || *end == 'G')
		n <<= 30, end++;
	if (*end || n < SCT_RING_MIN || n > SCT_RING_MAX)
		return -1;
	*out = n;
	return 0;
}

#endif
