/* gen: reads gen/syscalls.tbl and gen/xlat/NAME.in, writes into OUTDIR:
 *   sysent.c     syscall number -> name, classes, return and argument kinds
 *   xlat.c       flag and constant tables (dumper)
 *   xlat_ids.h   SCT_XLAT_name indices
 *   fn.h, fn.c   libc entry points: SCT_FN_name indices and names
 *   wrappers.c   the interposing wrappers (preload)
 *   exports.map  version script: the wrapped names, nothing else
 *
 * usage: gen OUTDIR syscalls.tbl xlat/A.in xlat/B.in ...
 * Build-time tool: plain stdio, exits 1 with "file:line: message" on bad input.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sctrace/kinds.h"

#define MAXSYS 600
#define MAXFN 1200
#define MAXXLAT 200
#define MAXTOK 16

struct sysdef {
	char *name;
	int ret;
	unsigned classes;
	int nargs;
	int kind[6];
	int param[6];
	int xlat[6];
	int cond[6];
};

struct fndef {
	char *name;
	int sys;          /* index in sysv, -1 for none */
	int manual;
	int nparams;
	char *map[6];     /* C expression per syscall argument */
	int cond[6];      /* map item is a conditional variadic parameter */
	char *only;       /* ?EXPR: glibc makes the syscall only when EXPR
			     holds (else it answers itself: not recorded) */
	int line;
};

static struct sysdef sysv[MAXSYS];
static int nsys;
static struct fndef fnv[MAXFN];
static int nfn;
static char *xlatv[MAXXLAT]; /* names, index+1 is the id */
static char *xlatfile[MAXXLAT];
static int nxlat;

static const char *cur_file;
static int cur_line;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s:%d: ", cur_file, cur_line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

#define X_NAME(name, cap, size) #name,
static const char *const kind_names[] = { SCT_KINDS(X_NAME) };
#undef X_NAME
#define X_NAME(name) #name,
static const char *const ret_names[] = { SCT_RETKINDS(X_NAME) };
static const char *const class_names[] = { SCT_CLASSES(X_NAME) };
#undef X_NAME

static int lookup(const char *const *v, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return i;
	return -1;
}

static int find_sys(const char *name)
{
	for (int i = 0; i < nsys; i++)
		if (strcmp(sysv[i].name, name) == 0)
			return i;
	return -1;
}

static int find_xlat(const char *name)
{
	for (int i = 0; i < nxlat; i++)
		if (strcmp(xlatv[i], name) == 0)
			return i + 1;
	return 0;
}

static int split(char *line, char **tok)
{
	int n = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	for (char *s = strtok(line, " \t\r\n"); s; s = strtok(NULL, " \t\r\n")) {
		if (n == MAXTOK)
			die("too many fields");
		tok[n++] = s;
	}
	return n;
}

static void parse_arg(struct sysdef *d, int i, char *tok)
{
	size_t len = strlen(tok);
	if (len && tok[len - 1] == '?') {
		tok[--len] = 0;
		if (i == 0)
			die("'?' needs a previous argument");
		d->cond[i] = 1;
	}
	char *param = strchr(tok, ':');
	if (param)
		*param++ = 0;
	d->kind[i] = lookup(kind_names, SCT_K__COUNT, tok);
	if (d->kind[i] < 0)
		die("unknown argument kind '%s'", tok);
	int k = d->kind[i];
	int wants_xlat = k == SCT_K_flags || k == SCT_K_enum;
	int wants_idx = k == SCT_K_bufin || k == SCT_K_bufout ||
			k == SCT_K_sockaddr;
	if ((wants_xlat || wants_idx) && !param)
		die("kind '%s' needs :PARAM", tok);
	if (!wants_xlat && !wants_idx && param)
		die("kind '%s' takes no :PARAM", tok);
	if (wants_xlat) {
		d->xlat[i] = find_xlat(param);
		if (!d->xlat[i])
			die("no gen/xlat/%s.in", param);
	}
	if (wants_idx) {
		if (!isdigit((unsigned char)param[0]) || atoi(param) > 5)
			die("bad argument index '%s'", param);
		d->param[i] = atoi(param);
	}
}

static void parse_sys(char **tok, int n)
{
	if (n < 4)
		die("sys NAME RET CLASSES ARG...");
	if (n - 4 > 6)
		die("more than 6 arguments");
	if (find_sys(tok[1]) >= 0)
		die("syscall '%s' listed twice", tok[1]);
	if (nsys == MAXSYS)
		die("too many syscalls");
	struct sysdef *d = &sysv[nsys++];
	if (strlen(tok[1]) >= SCT_NAME_MAX)
		die("syscall name '%s' longer than SCT_NAME_MAX - 1", tok[1]);
	d->name = strdup(tok[1]);
	d->ret = lookup(ret_names, SCT_R__COUNT, tok[2]);
	if (d->ret < 0)
		die("unknown return kind '%s'", tok[2]);
	if (strcmp(tok[3], "-") != 0) {
		for (char *c = strtok(tok[3], ","); c; c = strtok(NULL, ",")) {
			int b = lookup(class_names, SCT_CB__COUNT, c);
			if (b < 0)
				die("unknown class '%s'", c);
			d->classes |= 1u << b;
		}
	}
	d->nargs = n - 4;
	for (int i = 0; i < d->nargs; i++)
		parse_arg(d, i, tok[4 + i]);
}

static void parse_fn(char **tok, int n)
{
	if (n < 2)
		die("fn NAME [SYSCALL [MAP...]] [/N] [?EXPR] [!manual]");
	if (n == 2) /* same name as its syscall */
		tok[n++] = tok[1];
	if (nfn == MAXFN)
		die("too many functions");
	for (int i = 0; i < nfn; i++)
		if (strcmp(fnv[i].name, tok[1]) == 0)
			die("function '%s' listed twice", tok[1]);
	if (strlen(tok[1]) >= SCT_NAME_MAX)
		die("function name '%s' longer than SCT_NAME_MAX - 1", tok[1]);
	struct fndef *f = &fnv[nfn++];
	f->name = strdup(tok[1]);
	f->line = cur_line;
	f->sys = strcmp(tok[2], "-") == 0 ? -1 : find_sys(tok[2]);
	if (f->sys < 0 && strcmp(tok[2], "-") != 0)
		die("function '%s': no sys line for '%s'", tok[1], tok[2]);
	int nmap = 0, maxp = -1;
	for (int i = 3; i < n; i++) {
		if (strcmp(tok[i], "!manual") == 0) {
			f->manual = 1;
		} else if (tok[i][0] == '?' && tok[i][1]) {
			f->only = strdup(tok[i] + 1);
		} else if (tok[i][0] == '/') {
			f->nparams = atoi(tok[i] + 1);
			if (f->nparams < 0 || f->nparams > 6)
				die("bad /N");
		} else {
			if (nmap == 6)
				die("more than 6 map items");
			char *t = tok[i];
			size_t len = strlen(t);
			if (t[0] == '$') {
				if (!isdigit((unsigned char)t[1]))
					die("bad parameter '%s'", t);
				int p = atoi(t + 1);
				if (p > 5)
					die("parameter index > 5");
				if (p > maxp)
					maxp = p;
				if (t[len - 1] == '?') {
					t[len - 1] = 0;
					f->cond[nmap] = 1;
				}
				char buf[16];
				snprintf(buf, sizeof buf, "p%d", p);
				f->map[nmap++] = strdup(buf);
			} else {
				f->map[nmap++] = strdup(t);
			}
		}
	}
	if (f->sys < 0) {
		if (!f->manual)
			die("a function without syscall must be !manual");
		return;
	}
	struct sysdef *d = &sysv[f->sys];
	if (nmap == 0 && !f->manual) {
		for (int i = 0; i < d->nargs; i++) {
			char buf[16];
			snprintf(buf, sizeof buf, "p%d", i);
			f->map[i] = strdup(buf);
			f->cond[i] = d->cond[i];
		}
		nmap = d->nargs;
		maxp = d->nargs - 1;
	}
	if (!f->manual && nmap != d->nargs)
		die("function '%s': %d map items for %d syscall arguments",
		    f->name, nmap, d->nargs);
	for (int i = 0; i < nmap; i++)
		if (f->cond[i] && !d->cond[i])
			die("'$N?' only for a conditional (?) syscall argument");
	if (f->nparams == 0)
		f->nparams = maxp + 1;
	if (f->nparams < maxp + 1)
		die("/N smaller than the parameters used");
}

static void read_table(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	cur_file = path;
	char line[1024];
	char *tok[MAXTOK];
	for (cur_line = 1; fgets(line, sizeof line, fp); cur_line++) {
		int n = split(line, tok);
		if (n == 0)
			continue;
		if (strcmp(tok[0], "sys") == 0)
			parse_sys(tok, n);
		else if (strcmp(tok[0], "fn") == 0)
			parse_fn(tok, n);
		else
			die("line must start with sys or fn");
	}
	fclose(fp);
}

static FILE *out_open(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	if (!fp) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	fprintf(fp, "/* generated by gen/gen.c from gen/syscalls.tbl and "
		    "gen/xlat/NAME.in: do not edit */\n");
	return fp;
}

static void out_close(FILE *fp)
{
	if (ferror(fp) || fclose(fp) != 0) {
		fprintf(stderr, "gen: write error\n");
		exit(1);
	}
}

/* Xlat file: "#flags NAME [field=MASK]" or "#enum NAME" first, then
 * "#include <...>" lines, "# comment" lines and "CONST [VALUE]" lines. */
static const char *xlat_name_of(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *s = strdup(base);
	char *dot = strstr(s, ".in");
	if (!dot)
		die("xlat file must end in .in");
	*dot = 0;
	return s;
}

static void write_xlat(const char *dir)
{
	FILE *h = out_open(dir, "xlat_ids.h");
	fprintf(h, "enum sct_xlat_id {\n\tSCT_XLAT__NONE,\n");
	for (int i = 0; i < nxlat; i++)
		fprintf(h, "\tSCT_XLAT_%s,\n", xlatv[i]);
	fprintf(h, "\tSCT_XLAT__COUNT\n};\n");
	out_close(h);

	FILE *c = out_open(dir, "xlat.c");
	char line[1024];
	fprintf(c, "#ifndef _GNU_SOURCE\n#define _GNU_SOURCE\n#endif\n");
	/* includes first, all files */
	for (int i = 0; i < nxlat; i++) {
		FILE *in = fopen(xlatfile[i], "r");
		while (fgets(line, sizeof line, in))
			if (strncmp(line, "#include", 8) == 0)
				fputs(line, c);
		fclose(in);
	}
	fprintf(c, "#include \"sctrace/kinds.h\"\n\n");
	for (int i = 0; i < nxlat; i++) {
		FILE *in = fopen(xlatfile[i], "r");
		cur_file = xlatfile[i];
		int is_flags = -1;
		unsigned long long field = 0;
		fprintf(c, "static const struct sct_xlat_ent xe_%s[] = {\n",
			xlatv[i]);
		for (cur_line = 1; fgets(line, sizeof line, in); cur_line++) {
			char *tok[MAXTOK];
			if (strncmp(line, "#flags", 6) == 0 ||
			    strncmp(line, "#enum", 5) == 0) {
				is_flags = line[1] == 'f';
				char *f = strstr(line, "field=");
				if (f)
					field = strtoull(f + 6, NULL, 0);
				continue;
			}
			if (line[0] == '#')
				continue;
			int n = split(line, tok);
			if (n == 0)
				continue;
			if (is_flags < 0)
				die("first line must be #flags or #enum");
			if (n == 1)
				fprintf(c, "#ifdef %s\n\t{ (unsigned long long)(%s), \"%s\" },\n#endif\n",
					tok[0], tok[0], tok[0]);
			else if (n == 2)
				fprintf(c, "\t{ (unsigned long long)(%s), \"%s\" },\n",
					tok[1], tok[0]);
			else
				die("CONST [VALUE]");
		}
		fclose(in);
		if (is_flags < 0)
			die("empty xlat file");
		fprintf(c, "};\nconst struct sct_xlat sct_xlat_%s = { \"%s\", %d, "
			   "sizeof xe_%s / sizeof xe_%s[0], xe_%s, %#llxULL };\n\n",
			xlatv[i], xlatv[i], is_flags, xlatv[i], xlatv[i],
			xlatv[i], field);
	}
	fprintf(c, "const struct sct_xlat *const sct_xlats[] = {\n\t0,\n");
	for (int i = 0; i < nxlat; i++)
		fprintf(c, "\t&sct_xlat_%s,\n", xlatv[i]);
	fprintf(c, "};\nconst unsigned sct_nxlat = %d;\n", nxlat + 1);
	out_close(c);
}

static void write_sysent(const char *dir)
{
	FILE *c = out_open(dir, "sysent.c");
	fprintf(c, "#include <sys/syscall.h>\n#include \"sctrace/kinds.h\"\n"
		   "#include \"xlat_ids.h\"\n\n"
		   "const struct sct_sysent sct_sysent[SCT_NSYS] = {\n");
	for (int i = 0; i < nsys; i++) {
		struct sysdef *d = &sysv[i];
		fprintf(c, "#ifdef __NR_%s\n\t[__NR_%s] = { \"%s\", %#x, SCT_R_%s, %d, {",
			d->name, d->name, d->name, d->classes,
			ret_names[d->ret], d->nargs);
		for (int a = 0; a < d->nargs; a++)
			fprintf(c, " { SCT_K_%s, %d, %d, %d },", kind_names[d->kind[a]],
				d->param[a], d->cond[a], d->xlat[a]);
		fprintf(c, " } },\n#endif\n");
	}
	fprintf(c, "};\n");
	out_close(c);
}

static void write_fn(const char *dir)
{
	FILE *h = out_open(dir, "fn.h");
	fprintf(h, "enum sct_fn_id {\n\tSCT_FN__NONE,\n");
	for (int i = 0; i < nfn; i++)
		fprintf(h, "\tSCT_FN_%s,\n", fnv[i].name);
	fprintf(h, "\tSCT_FN__COUNT\n};\n");
	out_close(h);

	FILE *c = out_open(dir, "fn.c");
	fprintf(c, "#include \"sctrace/kinds.h\"\n\n"
		   "const char sct_fn_names[][SCT_NAME_MAX] = {\n\t\"\",\n");
	for (int i = 0; i < nfn; i++)
		fprintf(c, "\t\"%s\",\n", fnv[i].name);
	fprintf(c, "};\nconst unsigned sct_nfn = %d;\n", nfn + 1);
	out_close(c);

	FILE *m = out_open(dir, "exports.map");
	fprintf(m, "{\n  global:\n");
	for (int i = 0; i < nfn; i++)
		fprintf(m, "    %s;\n", fnv[i].name);
	fprintf(m, "  local: *;\n};\n");
	out_close(m);
}

static const char *err_test(int ret)
{
	switch (ret) {
	case SCT_R_ptrnull:
		return "r == 0";
	case SCT_R_errret:
		return "r > 0";
	default:
		return "r == -1";
	}
}

static void write_wrapper(FILE *c, const struct fndef *f)
{
	const struct sysdef *d = &sysv[f->sys];
	char params[256] = "", pass[256] = "";
	for (int i = 0; i < f->nparams; i++) {
		char b[32];
		snprintf(b, sizeof b, "%slong p%d", i ? ", " : "", i);
		strcat(params, b);
	}
	for (int i = 0; i < 6; i++) {
		char b[32];
		snprintf(b, sizeof b, "%s%s", i ? ", " : "",
			 i < f->nparams ? (char[8]){ 'p', (char)('0' + i), 0 } : "0");
		strcat(pass, b);
	}
	int noreturn = d->ret == SCT_R_void || d->ret == SCT_R_exec;
	fprintf(c, "\n/* %s:%d */\nSCT_WRAPPER long %s(%s)\n{\n",
		"gen/syscalls.tbl", f->line, f->name,
		f->nparams ? params : "void");
	fprintf(c, "\tstruct sct_call c;\n"
		   "\tsct_real_fn real = sct_real(SCT_FN_%s);\n"
		   "\tlong a[6] = { ",
		f->name);
	for (int i = 0; i < d->nargs; i++) {
		if (f->cond[i])
			fprintf(c, "%ssct_wants_mode(%s) ? %s : 0", i ? ", " : "",
				f->map[i - 1], f->map[i]);
		else /* "" from the hot page (sct.h), not .rodata */
			fprintf(c, "%s(long)(%s)", i ? ", " : "",
				strcmp(f->map[i], "\"\"") ? f->map[i]
							   : "sct_hot.empty");
	}
	fprintf(c, "%s };\n", d->nargs ? "" : "0");
	fprintf(c, "\tif (__builtin_expect(!real, 0))\n"
		   "\t\treturn sct_fallback(__NR_%s, a);\n",
		d->name);
	if (f->only) /* libc answers without the syscall: nothing to record */
		fprintf(c, "\tif (!(%s))\n\t\treturn real(%s);\n", f->only,
			pass);
	fprintf(c, "\tc.frame = __builtin_frame_address(0);\n"
		   "\tif (!sct_begin(&c, SCT_FN_%s, __NR_%s, a, %d))\n"
		   "\t\treturn sct_passed(real(%s));\n",
		f->name, d->name, d->nargs, pass);
	if (noreturn)
		fprintf(c, "\tsct_entry(&c);\n");
	/* int-returning functions leave the upper half of rax undefined */
	int narrow = d->ret == SCT_R_int || d->ret == SCT_R_fd ||
		     d->ret == SCT_R_pid || d->ret == SCT_R_errret ||
		     d->ret == SCT_R_exec || d->ret == SCT_R_void;
	fprintf(c, "\tlong r = %sreal(%s);\n"
		   "\treturn sct_end(&c, r, %s);\n}\n",
		narrow ? "(int)" : "", pass, err_test(d->ret));
}

static void write_wrappers(const char *dir)
{
	FILE *c = out_open(dir, "wrappers.c");
	fprintf(c, "#include \"sct.h\"\n#include \"fn.h\"\n"
		   "#include <linux/fcntl.h>\n");
	for (int i = 0; i < nfn; i++)
		if (!fnv[i].manual)
			write_wrapper(c, &fnv[i]);
	out_close(c);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gen OUTDIR syscalls.tbl [xlat/NAME.in...]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (nxlat == MAXXLAT) {
			fprintf(stderr, "gen: too many xlat files\n");
			return 1;
		}
		cur_file = argv[i];
		xlatfile[nxlat] = argv[i];
		xlatv[nxlat++] = (char *)xlat_name_of(argv[i]);
	}
	read_table(argv[2]);
	write_xlat(argv[1]);
	write_sysent(argv[1]);
	write_fn(argv[1]);
	write_wrappers(argv[1]);
	return 0;
}
