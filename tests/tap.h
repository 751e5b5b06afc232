/* Tiny header-only TAP producer for the unit tests (one test = one .c file).
 *
 *   plan(n);                      "1..n" (or call done_testing() at the end
 *                                 without a plan: it prints "1..count")
 *   ok(cond, fmt, ...);           "ok N - name" / "not ok N - name"
 *   is_int(got, want, name);      integers, "# got: / # want:" on failure
 *   is_str(got, want, name);      strings (NULL allowed), same diagnostics
 *   diag(fmt, ...);               "# ..." on stderr
 *   note(fmt, ...);               "# ..." on stdout
 *   skip(n, reason);              n "ok N # SKIP reason" lines
 *   skip_all(reason);             "1..0 # SKIP reason", exit(77)
 *   bail_out(fmt, ...);           "Bail out! ...", exit(255)
 *   return done_testing();        exit status: 0 all passed, 1 otherwise
 *
 * Every function returns/uses only static state: include once per program.
 */
#ifndef SCT_TAP_H
#define SCT_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1; /* -1: no plan printed yet */
static int tap_run;
static int tap_failed;

#define TAP_PRINTF(a, b) __attribute__((format(printf, a, b)))

static inline void tap_flush(void)
{
	fflush(stdout);
	fflush(stderr);
}

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	tap_flush();
}

static inline TAP_PRINTF(1, 2) void diag(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static inline TAP_PRINTF(1, 2) void note(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d", cond ? "" : "not ", tap_run);
	if (fmt && *fmt) {
		fputs(" - ", stdout);
		vprintf(fmt, ap);
	}
	putchar('\n');
	tap_flush();
	return cond;
}

static inline TAP_PRINTF(2, 3) int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline int tap_ok1(int cond, const char *name)
{
	return ok(cond, "%s", name ? name : "");
}

static inline int is_int(intmax_t got, intmax_t want, const char *name)
{
	int r = tap_ok1(got == want, name);
	if (!r) {
		diag("  Failed test '%s'", name ? name : "");
		diag("         got: %jd", got);
		diag("        want: %jd", want);
	}
	return r;
}

static inline int is_str(const char *got, const char *want, const char *name)
{
	int same = (got && want) ? strcmp(got, want) == 0 : got == want;
	int r = tap_ok1(same, name);
	if (!r) {
		diag("  Failed test '%s'", name ? name : "");
		diag("         got: %s%s%s", got ? "'" : "", got ? got : "NULL",
		     got ? "'" : "");
		diag("        want: %s%s%s", want ? "'" : "",
		     want ? want : "NULL", want ? "'" : "");
	}
	return r;
}

static inline void skip(int n, const char *reason)
{
	for (int i = 0; i < n; i++) {
		tap_run++;
		printf("ok %d # SKIP %s\n", tap_run, reason ? reason : "");
	}
	tap_flush();
}

static inline __attribute__((noreturn)) void skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason ? reason : "");
	tap_flush();
	exit(77);
}

static inline TAP_PRINTF(1, 2)
	__attribute__((noreturn)) void bail_out(const char *fmt, ...)
{
	va_list ap;
	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	tap_flush();
	exit(255);
}

/* Print the plan if none was given, report a count mismatch, and return the
 * process exit status. */
static inline int done_testing(void)
{
	if (tap_planned < 0) {
		printf("1..%d\n", tap_run);
		tap_planned = tap_run;
	} else if (tap_planned != tap_run) {
		diag("Looks like you planned %d tests but ran %d.", tap_planned,
		     tap_run);
	}
	if (tap_failed)
		diag("Looks like you failed %d test%s of %d.", tap_failed,
		     tap_failed == 1 ? "" : "s", tap_run);
	tap_flush();
	return tap_failed || tap_planned != tap_run;
}

#endif
