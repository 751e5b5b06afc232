/* sctrace: run a program traced, or read the rings of traced programs. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sctrace/size.h"

#define DEFAULT_STRSIZE 32
#define DEFAULT_CAPTURE 256

static const char usage[] =
	"usage: sctrace [OPTIONS] [--] CMD [ARGS...]   run CMD traced\n"
	"       sctrace dump [OPTIONS] [DIR]           print the rings in DIR\n"
	"       sctrace ls [DIR]                       list traced threads in DIR\n"
	"       sctrace clean [DIR]                    remove rings of finished threads\n"
	"       sctrace report [OPTIONS] [DIR]         calls, errors, latency per call site\n"
	"       sctrace export --format=F [OPTIONS] [DIR]  chrome trace JSON or folded stacks\n"
	"\n"
	"Output (as strace):\n"
	"  -o FILE          write the trace to FILE instead of stderr\n"
	"  -e trace=SET     only these syscalls: names and classes %file %network\n"
	"                   %process %signal %memory %desc %ipc %creds %clock;\n"
	"                   !SET inverts\n"
	"  -e status=SET    successful, failed\n"
	"  -Z / -z          only failed / only successful calls\n"
	"  -s N             show N bytes of strings (default 32)\n"
	"  -x / -xx         non-ASCII / all string bytes in hex\n"
	"  -t / -tt / -ttt  wall-clock time of day / with usecs / epoch seconds\n"
	"  -r               relative time between lines\n"
	"  -T               time spent in each call\n"
	"  -c / -C          summary table instead of / after the trace\n"
	"  -y               print paths of file descriptors\n"
	"  -f               accepted for strace compatibility (always on)\n"
	"  --json           one JSON object per line\n"
	"  -k               caller stack under each syscall (as strace -k;\n"
	"                   with --json a \"stack\" array)\n"
	"  -kk              the same with source file:line when debug info has it\n"
	"Tracing (run mode):\n"
	"  -D DIR           ring directory (kept afterwards)\n"
	"  --keep           keep the temporary ring directory\n"
	"  --ring-size=SIZE bytes per thread ring, e.g. 4M (default 1M)\n"
	"  --overwrite      flight recorder: keep the newest records\n"
	"  --capture=N      bytes of strings and buffers recorded (default 256)\n"
	"Dump mode:\n"
	"  --follow         keep printing while the traced programs run\n"
	"Report mode (-e, -Z/-z and -kk apply too):\n"
	"  --sort=KEY       time (default), calls, errors\n"
	"  --top=N          only the first N sites\n"
	"  --by=frame       group by the first frame outside libc, ld.so, sctrace\n"
	"Export mode (-e, -o apply too):\n"
	"  --format=FMT     chrome (trace event JSON for Perfetto) or folded\n"
	"                   (flame graph input: frames;syscall WEIGHT)\n"
	"  --weight=W       folded: time (ns, default) or count\n"
	"  -h, --help       this text;  -V, --version   the version\n"
	"Environment for LD_PRELOAD=libsctrace.so: SCTRACE_DIR, SCTRACE_STRSIZE,\n"
	"SCTRACE_RING_SIZE, SCTRACE_MODE=drop|overwrite, SCTRACE_OFF=1.\n";

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "sctrace: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sctrace --help' for more information.\n");
	return 2;
}

#define X_NAME(name) #name,
static const char *const class_names[] = { SCT_CLASSES(X_NAME) };
#undef X_NAME

static int trace_set(struct opts *o, char *list)
{
	int invert = 0;
	if (*list == '!') {
		invert = 1;
		list++;
	}
	if (!o->trace) {
		o->trace = calloc(SCT_NSYS, 1);
		if (!o->trace)
			return bad("%s", "out of memory");
	}
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int found = 0;
		const char *cls = tok[0] == '%' ? tok + 1 : tok;
		for (int c = 0; c < SCT_CB__COUNT; c++) {
			if (strcmp(cls, class_names[c]) != 0)
				continue;
			for (int nr = 0; nr < SCT_NSYS; nr++)
				if (sct_sysent[nr].name[0] &&
				    (sct_sysent[nr].classes & (1u << c)))
					o->trace[nr] = 1;
			found = 1;
		}
		if (strcmp(tok, "all") == 0 || strcmp(tok, "%all") == 0) {
			memset(o->trace, 1, SCT_NSYS);
			found = 1;
		}
		for (int nr = 0; nr < SCT_NSYS && !found; nr++)
			if (sct_sysent[nr].name[0] && strcmp(sct_sysent[nr].name, tok) == 0)
				o->trace[nr] = 1, found = 1;
		if (!found && tok[0] != '%')
			for (int nr = 0; nr < SCT_NSYS; nr++)
				if (sct_sysent[nr].name[0] &&
				    strcmp(sct_sysent[nr].name, tok) == 0)
					found = 1;
		if (!found)
			return bad("invalid system call '%s'", tok);
	}
	if (invert)
		for (int nr = 0; nr < SCT_NSYS; nr++)
			o->trace[nr] = !o->trace[nr];
	return 0;
}

static int status_set(struct opts *o, char *list)
{
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "successful") == 0)
			o->status_mask |= 1;
		else if (strcmp(tok, "failed") == 0)
			o->status_mask |= 2;
		else if (strcmp(tok, "all") == 0)
			o->status_mask = 3;
		else
			return bad("invalid status '%s' (successful, failed, all)", tok);
	}
	return 0;
}

static int expr(struct opts *o, char *e)
{
	char *eq = strchr(e, '=');
	if (!eq)
		return trace_set(o, e);
	*eq = 0;
	if (strcmp(e, "trace") == 0 || strcmp(e, "t") == 0)
		return trace_set(o, eq + 1);
	if (strcmp(e, "status") == 0)
		return status_set(o, eq + 1);
	return bad("invalid -e qualifier '%s' (trace, status)", e);
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

enum { OPT_JSON = 256, OPT_FOLLOW, OPT_KEEP, OPT_RING, OPT_OVERWRITE,
       OPT_CAPTURE, OPT_SORT, OPT_TOP, OPT_BY, OPT_FORMAT, OPT_WEIGHT };

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "by", required_argument, NULL, OPT_BY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ NULL, 0, NULL, 0 },
};

/* The index of WORD in the NULL-terminated WORDS, -1 when absent. */
static int word(const char *const *words, const char *w)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], w) == 0)
			return i;
	return -1;
}

/* --sort, --top, --by, --format, --weight */
static int report_opt(struct opts *o, int c, const char *arg)
{
	static const char *const sorts[] = { "time", "calls", "errors", NULL };
	static const char *const fmts[] = { "chrome", "folded", NULL };
	static const char *const weights[] = { "time", "count", NULL };
	unsigned long v;
	int i;
	switch (c) {
	case OPT_SORT:
		if ((i = word(sorts, arg)) < 0)
			return bad("--sort: '%s' is not time, calls or errors", arg);
		o->sort = i;
		return 0;
	case OPT_TOP:
		if (number(arg, 1ul << 30, &v) < 0)
			return bad("--top: '%s' is not a number", arg);
		o->top = v;
		return 0;
	case OPT_BY:
		if (strcmp(arg, "frame") != 0 && strcmp(arg, "stack") != 0)
			return bad("--by: '%s' is not frame or stack", arg);
		o->by_frame = arg[0] == 'f';
		return 0;
	case OPT_FORMAT:
		if ((i = word(fmts, arg)) < 0)
			return bad("--format: '%s' is not chrome or folded", arg);
		o->format = i + FMT_CHROME;
		return 0;
	default:
		if ((i = word(weights, arg)) < 0)
			return bad("--weight: '%s' is not time or count", arg);
		o->weight_count = i;
		return 0;
	}
}

static int parse(struct opts *o, int argc, char **argv)
{
	int c, x = 0, t = 0;
	unsigned long v;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:ho:e:Zzs:xtrTcCyfkD:V", longopts,
				NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'V':
			printf("sctrace %s\n", SCTRACE_VERSION);
			exit(0);
		case 'o':
			o->outfile = optarg;
			break;
		case 'e':
			rc = expr(o, optarg);
			break;
		case 'Z':
			o->status_mask |= 2;
			break;
		case 'z':
			o->status_mask |= 1;
			break;
		case 's':
			if (number(optarg, 1u << 20, &v) < 0)
				return bad("-s: '%s' is not a string size", optarg);
			o->po.strsize = (unsigned)v;
			break;
		case 'x':
			x++;
			break;
		case 't':
			t++;
			break;
		case 'r':
			o->rel = 1;
			break;
		case 'T':
			o->show_time = 1;
			break;
		case 'c':
			o->summary = 1;
			break;
		case 'C':
			o->summary = 2;
			break;
		case 'y':
			o->po.decode_fds = 1;
			break;
		case 'f':
			break;
		case 'k':
			o->stack++;
			break;
		case OPT_SORT:
		case OPT_TOP:
		case OPT_BY:
		case OPT_FORMAT:
		case OPT_WEIGHT:
			rc = report_opt(o, c, optarg);
			break;
		case 'D':
			o->dir = optarg;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_FOLLOW:
			o->follow = 1;
			break;
		case OPT_KEEP:
			o->keep = 1;
			break;
		case OPT_RING: {
			unsigned long long n;
			if (sct_parse_size(optarg, &n) < 0)
				return bad("--ring-size: '%s' is not a size in 16K..4G",
					   optarg);
			o->ring_size = optarg;
			break;
		}
		case OPT_OVERWRITE:
			o->overwrite = 1;
			break;
		case OPT_CAPTURE:
			if (number(optarg, 65536, &v) < 0 || v == 0)
				return bad("--capture: '%s' is not a size in 1..65536",
					   optarg);
			o->capture = (unsigned)v;
			break;
		case ':':
			return bad("option '%s' needs an argument", argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
		if (rc)
			return rc;
	}
	o->po.xlevel = x > 2 ? 2 : x;
	o->ts = t > 3 ? TS_TTT : (enum ts_mode)t;
	if (o->stack > 2)
		o->stack = 2;
	if (!o->capture)
		o->capture = o->po.strsize > DEFAULT_CAPTURE ? o->po.strsize
							     : DEFAULT_CAPTURE;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .po = { .strsize = DEFAULT_STRSIZE } };
	const char *cmd = "run";
	static const char *const cmds[] = { "dump", "ls", "clean", "report",
					    "export", NULL };
	if (argc > 1 && word(cmds, argv[1]) >= 0) {
		cmd = argv[1];
		argv++, argc--;
	}
	int rc = parse(&o, argc, argv);
	if (rc) {
		free(o.trace);
		return rc;
	}
	o.out = stderr;
	if (strcmp(cmd, "ls") == 0 || strcmp(cmd, "clean") == 0) {
		if (argc - optind > 1)
			return bad("takes at most one directory, not '%s'",
				   argv[optind + 1]);
		const char *dir = optind < argc ? argv[optind] : NULL;
		return cmd[0] == 'l' ? cmd_ls(dir) : cmd_clean(dir);
	}
	if (o.outfile) {
		o.out = fopen(o.outfile, "we");
		if (!o.out) {
			fprintf(stderr, "sctrace: %s: %s\n", o.outfile, strerror(errno));
			return 1;
		}
	}
	if (strcmp(cmd, "export") == 0 && o.format == FMT_NONE)
		return bad("%s", "export needs --format=chrome or --format=folded");
	if (strcmp(cmd, "run") != 0) {
		if (argc - optind > 1)
			return bad("takes at most one directory, not '%s'",
				   argv[optind + 1]);
		if (optind < argc)
			o.dir = argv[optind];
		if (!o.outfile)
			o.out = stdout;
		rc = cmd[0] == 'd' ? cmd_dump(&o)
		     : cmd[0] == 'r' ? cmd_report(&o) : cmd_export(&o);
	} else {
		if (optind >= argc)
			return bad("%s", "must have CMD to run (or: dump, ls, clean)");
		rc = cmd_run(&o, argv + optind);
	}
	if (o.out != stderr && o.out != stdout && fclose(o.out) != 0) {
		fprintf(stderr, "sctrace: %s: %s\n", o.outfile, strerror(errno));
		return 1;
	}
	free(o.trace);
	return rc;
}
