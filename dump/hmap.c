/* String-keyed hash map (open addressing, FNV-1a), for the symbol caches,
 * the report's sites and the export's folded stacks.  Keys are copied. */
#include <stdlib.h>
#include <string.h>

#include "dump.h"

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void *sct_xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	if (!p) {
		fputs("sctrace: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void *sct_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("sctrace: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static void grow(struct sct_hmap *m)
{
	struct sct_hent *old = m->v;
	size_t oldcap = m->cap;
	m->cap = oldcap ? oldcap * 2 : 64;
	m->v = sct_xcalloc(m->cap, sizeof *m->v);
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].key)
			continue;
		size_t j = old[i].hash & (m->cap - 1);
		while (m->v[j].key)
			j = (j + 1) & (m->cap - 1);
		m->v[j] = old[i];
	}
	free(old);
}

struct sct_hent *sct_hmap_getn(struct sct_hmap *m, const char *key, size_t n,
			       int create)
{
	if (!m->cap) {
		if (!create)
			return NULL;
		grow(m);
	}
	uint64_t h = hash_str(key, n);
	for (;;) {
		size_t j = h & (m->cap - 1);
		while (m->v[j].key) {
			struct sct_hent *e = &m->v[j];
			if (e->hash == h && e->klen == n &&
			    memcmp(e->key, key, n) == 0)
				return e;
			j = (j + 1) & (m->cap - 1);
		}
		if (!create)
			return NULL;
		if ((m->n + 1) * 4 > m->cap * 3) { /* keep probes short */
			grow(m);
			continue;
		}
		struct sct_hent *e = &m->v[j];
		e->key = sct_xcalloc(1, n + 1);
		memcpy(e->key, key, n);
		e->klen = n;
		e->hash = h;
		e->val = NULL;
		m->n++;
		return e;
	}
}

struct sct_hent *sct_hmap_get(struct sct_hmap *m, const char *key, int create)
{
	return sct_hmap_getn(m, key, strlen(key), create);
}

const char *sct_hmap_intern(struct sct_hmap *m, const char *s)
{
	return s ? sct_hmap_get(m, s, 1)->key : NULL;
}

void sct_hmap_free(struct sct_hmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->v[i].key)
			continue;
		if (free_val && m->v[i].val)
			free_val(m->v[i].val);
		free(m->v[i].key);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}
