/* A program with its own malloc built on mmap(): dlsym's allocations in the
 * tracer's constructor land here and call the (traced) mmap wrapper before
 * it is resolved.  Must neither recurse nor crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct hdr { size_t size; size_t pad; };

static struct hdr *hdr_of(void *p)
{
	return (struct hdr *)((uintptr_t)p - sizeof(struct hdr));
}

void *malloc(size_t n)
{
	size_t total = (n + sizeof(struct hdr) + 4095) & ~(size_t)4095;
	struct hdr *h = mmap(NULL, total, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return NULL;
	h->size = total;
	return h + 1;
}

void free(void *p)
{
	if (p) {
		struct hdr *h = hdr_of(p);
		munmap(h, h->size);
	}
}

void *calloc(size_t a, size_t b)
{
	return malloc(a * b); /* mmap memory is zeroed */
}

void *realloc(void *p, size_t n)
{
	void *q = malloc(n);
	if (q && p) {
		struct hdr *h = hdr_of(p);
		size_t old = h->size - sizeof *h;
		memcpy(q, p, old < n ? old : n);
		free(p);
	}
	return q;
}

int main(void)
{
	char *s = malloc(100);
	strcpy(s, "own malloc ok\n");
	write(1, s, strlen(s));
	free(s);
	return 0;
}
