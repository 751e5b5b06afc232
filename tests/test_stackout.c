/* End-to-end tests of the stack outputs of the sctrace command over a
 * synthetic trace directory (tests/synth.h): dump -k/-kk/--json -k,
 * report (counts, errors, percentiles, --sort, --top, --by=frame, -e),
 * export --format=chrome (parsed by python3) and --format=folded (exact),
 * and side files that are missing or garbage.
 */
#include <stdint.h>
#include <sys/wait.h>

#include "synth.h"
#include "dump.h"

#define PID 4242u
#define IMAGE 500000ull

static struct synth_dir dir;
static uint64_t leaf_ip; /* symtarget_leaf + 2, 0 when not found */

/* Run sctrace with ARGS on the directory; its stdout (malloc'd), stderr
 * in *ERR when ERR is not NULL. */
static char *run(const char *args, char **err)
{
	char cmd[2048], errpath[600];
	snprintf(errpath, sizeof errpath, "%s/stderr.txt", dir.path);
	snprintf(cmd, sizeof cmd, "%s %s %s 2>%s", SCTRACE_BIN, args, dir.path,
		 errpath);
	FILE *p = popen(cmd, "r");
	if (!p)
		bail_out("popen: %s", strerror(errno));
	struct sbuf b = { 0 };
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		sb_putn(&b, buf, n);
	int st = pclose(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		diag("%s: exit status %d", cmd, st);
	if (err) {
		struct sbuf e = { 0 };
		FILE *fp = fopen(errpath, "re");
		while (fp && (n = fread(buf, 1, sizeof buf, fp)) > 0)
			sb_putn(&e, buf, n);
		if (fp)
			fclose(fp);
		*err = e.s ? e.s : strdup("");
	}
	unlink(errpath);
	return b.s ? b.s : strdup("");
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static int has(const char *hay, const char *needle)
{
	int r = strstr(hay, needle) != NULL;
	if (!r)
		diag("not found: '%s'", needle);
	return r;
}

/* The address of symtarget_leaf in the non-PIE helper, from its symtab. */
static uint64_t leaf_address(void)
{
	GElf_Sym sym;
	GElf_Phdr ph;
	return synth_elf_symbol(SYMTARGET, "symtarget_leaf", &sym, &ph) < 0
		       ? 0 : sym.st_value;
}

/* read x10 at S1 (4 errors), read x5 at S2, openat x4 without a stack
 * (2 errors), write x1 at S3 (in symtarget); another process whose side
 * file is missing, a third whose side file is garbage. */
static void make_trace(void)
{
	struct sct_stk_hdr *h = synth_side(&dir, PID, IMAGE, 8, 64, 8192);
	sct_mod_append(h, SCT_MOD_MAP, IMAGE, 0x1000, 0x2000, 0, "/x/libc.so.6");
	sct_mod_append(h, SCT_MOD_MAP, IMAGE, 0x10000, 0x20000, 0, "/x/app");
	uint64_t a = leaf_address();
	if (a) {
		leaf_ip = a + 2;
		sct_mod_append(h, SCT_MOD_MAP, IMAGE, a & ~0xfffull,
			       (a & ~0xfffull) + 0x1000, (a & ~0xfffull) - 0x400000,
			       SYMTARGET);
	}
	uint64_t s1[] = { 0x1100, 0x10100, 0x10900 };
	uint64_t s2[] = { 0x1200, 0x10100, 0x10a00 };
	uint64_t s3[] = { leaf_ip ? leaf_ip : 0x10ff0, 0x10100 };
	uint32_t i1 = sct_stk_intern(h, s1, 3), i2 = sct_stk_intern(h, s2, 3);
	uint32_t i3 = sct_stk_intern(h, s3, 2);
	struct synth_ring r;
	synth_ring(&dir, &r, PID, PID, IMAGE, "app", "/x/app");
	for (unsigned i = 1; i <= 10; i++)
		synth_call(&r, 0, 1000000 + i * 1000, i * 1000, 16,
			   i == 2 || i == 4 || i == 6 ? 11 : i == 8 ? 2 : 0, i1);
	for (unsigned i = 1; i <= 5; i++)
		synth_call(&r, 0, 2000000 + i * 1000, 100, 16, 0, i2);
	for (unsigned i = 1; i <= 4; i++)
		synth_call(&r, 257, 3000000 + i * 1000, 50000, 3, i <= 2 ? 2 : 0, 0);
	synth_call(&r, 1, 4000000, 7, 16, 0, i3);
	synth_ring_close(&r);
	synth_unmap(h);

	synth_ring(&dir, &r, PID + 1, PID + 1, IMAGE + 1, "nofile", "/x/nofile");
	synth_call(&r, 39, 5000000, 10, PID + 1, 0, 1);
	synth_call(&r, 39, 5001000, 10, PID + 1, 0, 2);
	synth_ring_close(&r);

	synth_ring(&dir, &r, PID + 2, PID + 2, IMAGE + 2, "junk", "/x/junk");
	synth_call(&r, 39, 6000000, 10, PID + 2, 0, 1);
	synth_ring_close(&r);
	char path[600];
	snprintf(path, sizeof path, "%s/%u-%llu.stk", dir.path, PID + 2,
		 IMAGE + 2);
	unsigned char *m = synth_map(path, 8192);
	for (unsigned i = 0; i < 8192; i++)
		m[i] = (unsigned char)(i * 131 + 7);
	munmap(m, 8192);
}

static void test_dump(void)
{
	char *err, *out = run("dump -k", &err);
	const char *s1 = "\n > /x/libc.so.6() [0x100]\n > /x/app() [0x100]\n"
			 " > /x/app() [0x900]\n";
	is_int(count(out, s1), 10, "dump -k: S1 frames under its 10 reads");
	is_int(count(out, "\n > /x/libc.so.6() [0x200]\n"), 5, "S2 frames");
	char want[1024];
	if (leaf_ip) {
		/* [the file offset], as strace -k prints it: in this
		 * non-PIE program the address less 0x400000 */
		snprintf(want, sizeof want,
			 "\n > %s(symtarget_leaf+0x2) [0x%llx]\n > /x/app() [0x100]\n",
			 SYMTARGET, (unsigned long long)(leaf_ip - 0x400000));
		ok(has(out, want), "symbolized frame in a real executable "
				   "(non-PIE): its file offset");
	} else {
		skip(1, "symtarget_leaf not found");
	}
	ok(has(out, "openat(") && has(out, "getpid()"), "syscall lines still there");
	is_int(count(err, "stacks of pid 4243 not shown"), 1,
	       "missing side file: one warning");
	is_int(count(err, "4244-500002.stk: not an sctrace side file"), 1,
	       "garbage side file: one warning");
	free(out);
	free(err);

	out = run("dump", NULL);
	is_int(count(out, " > "), 0, "no frames without -k");
	free(out);

	out = run("dump -kk", NULL);
	ok(!leaf_ip || has(out, "symtarget.c:"), "-kk: source file:line");
	free(out);

	out = run("dump --json -k -e trace=read", NULL);
	ok(has(out, ",\"stack\":[{\"ip\":\"0x1100\",\"obj\":\"/x/libc.so.6\","
		    "\"addr\":\"0x100\",\"sym\":null,\"off\":null,\"file\":null,"
		    "\"line\":null},{\"ip\":\"0x10100\""),
	   "--json -k: stack array");
	is_int(count(out, "\"stack\":"), 15, "every read has one");
	free(out);
	out = run("dump --json", NULL);
	is_int(count(out, "\"stack\""), 0, "--json without -k: no stacks");
	free(out);
}

static void row(char *buf, size_t n, unsigned long long calls,
		unsigned long long errs, double total, double mean, double p50,
		double p99, double max, unsigned worst_us, const char *name)
{
	snprintf(buf, n, "%9llu %7llu %13.3f %11.3f %11.3f %11.3f %11.3f %10u.%06u  %s",
		 calls, errs, total, mean, p50, p99, max, 0u, worst_us, name);
}

/* The syscall column of the site rows, in order, space separated. */
static void order(const char *out, char *buf, size_t n)
{
	buf[0] = 0;
	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l) {
		unsigned long long c;
		char name[32];
		if (sscanf(l, "%llu %*u %*f %*f %*f %*f %*f %*f %31s", &c, name) == 2) {
			strncat(buf, name, n - strlen(buf) - 2);
			strcat(buf, " ");
		}
	}
}

/* Run ARGS; the order of its site rows must be WANT.  Returns the output
 * (free it). */
static char *check_order(const char *args, const char *want, const char *name)
{
	char *out = run(args, NULL), ord[256];
	order(out, ord, sizeof ord);
	is_str(ord, want, name);
	return out;
}

static void test_report(void)
{
	char *out = run("report -e trace=read,openat,write", NULL), want[512];
	ok(has(out, "20 calls at 4 sites (by stack), sorted by time"), "header");
	row(want, sizeof want, 4, 2, 200, 50, 50, 50, 50, 3001, "openat          ");
	strcat(want, " ENOENT:2\n    (no stack)\n");
	ok(has(out, want), "openat: calls, errors, latencies, no stack");
	row(want, sizeof want, 10, 4, 55, 5.5, 5, 10, 10, 1010, "read            ");
	strcat(want, " EAGAIN:3 ENOENT:1\n    > /x/libc.so.6() [0x100]\n");
	ok(has(out, want), "read at S1: p50 5, p99 10, errors by errno");
	row(want, sizeof want, 5, 0, 0.5, 0.1, 0.1, 0.1, 0.1, 2001, "read\n");
	ok(has(out, want), "read at S2");
	char ord[256];
	order(out, ord, sizeof ord);
	is_str(ord, "openat read read write ", "--sort=time (default)");
	free(out);

	free(check_order("report -e trace=read,openat,write --sort=calls",
			 "read read openat write ", "--sort=calls"));
	out = check_order("report -e trace=read,openat,write --sort=errors --top=3",
			  "read openat read ", "--sort=errors --top=3");
	ok(has(out, ", top 3;"), "header says top 3");
	free(out);
	out = run("report -e trace=read,openat,write --by=frame", NULL);
	row(want, sizeof want, 15, 4, 55.5, 3.7, 3, 10, 10, 1010, "read            ");
	strcat(want, " EAGAIN:3 ENOENT:1\n    > /x/app() [0x100]\n   ");
	ok(has(out, want), "--by=frame: both read stacks in one site");
	ok(has(out, "20 calls at 3 sites (by first frame outside the runtime)"),
	   "header: 3 sites by frame");
	free(out);
	out = check_order("report -Z -e trace=read", "read ",
			  "-Z -e trace=read: failed reads only");
	ok(has(out, "4 calls at 1 site "), "four of them");
	free(out);
}

static void test_export(void)
{
	char *out = run("export --format=folded -e trace=read,openat,write", NULL);
	char want[2048];
	snprintf(want, sizeof want,
		 "app+0x100;%s;write 7\n"
		 "app+0x900;app+0x100;libc.so.6+0x100;read 55000\n"
		 "app+0xa00;app+0x100;libc.so.6+0x200;read 500\n"
		 "openat 200000\n",
		 leaf_ip ? "symtarget_leaf" : "app+0xff0");
	is_str(out, want, "folded, weighted by time");
	free(out);
	out = run("export --format=folded --weight=count -e trace=read,openat", NULL);
	is_str(out,
	       "app+0x900;app+0x100;libc.so.6+0x100;read 10\n"
	       "app+0xa00;app+0x100;libc.so.6+0x200;read 5\n"
	       "openat 4\n",
	       "folded, weighted by count");
	free(out);

	char json[600], cmd[2048];
	snprintf(json, sizeof json, "%s/trace.json", dir.path);
	snprintf(cmd, sizeof cmd, "export --format=chrome -o %s", json);
	free(run(cmd, NULL));
	if (system("python3 -c pass 2>/dev/null") != 0) {
		skip(2, "no python3");
		return;
	}
	snprintf(cmd, sizeof cmd,
		 "python3 -c '\n"
		 "import json, sys\n"
		 "d = json.load(open(sys.argv[1]))\n"
		 "ev = d[\"traceEvents\"]\n"
		 "x = [e for e in ev if e[\"ph\"] == \"X\"]\n"
		 "m = [e for e in ev if e[\"ph\"] == \"M\"]\n"
		 "assert all(k in e for e in x for k in (\"name\", \"ph\", \"ts\", \"dur\", \"pid\", \"tid\"))\n"
		 "assert all(k in e for e in m for k in (\"name\", \"ph\", \"pid\", \"tid\", \"args\"))\n"
		 "assert len(x) == 23, len(x)\n"
		 "assert {e[\"name\"] for e in m} == {\"process_name\", \"thread_name\"}\n"
		 "r = [e for e in x if e[\"name\"] == \"read\"][0]\n"
		 "assert r[\"dur\"] == 1.0 and r[\"pid\"] == 4242, r\n"
		 "assert r[\"args\"][\"stack\"][0] == \"/x/libc.so.6() [0x100]\", r\n"
		 "assert \"ret\" in r[\"args\"] and \"err\" in r[\"args\"] and \"fn\" in r[\"args\"]\n"
		 "' %s",
		 json);
	ok(system(cmd) == 0, "chrome trace: valid JSON, keys on every event");
	snprintf(cmd, sizeof cmd, "grep -q '\"name\":\"process_name\",\"ph\":\"M\",\"pid\":4242,\"tid\":4242,\"args\":{\"name\":\"/x/app\"}' %s", json);
	ok(system(cmd) == 0, "process named after its program");
}

int main(void)
{
	if (access(SCTRACE_BIN, X_OK) != 0)
		skip_all("sctrace not built");
	synth_dir(&dir);
	make_trace();
	test_dump();
	test_report();
	test_export();
	synth_rmdir(&dir);
	return done_testing();
}
