/* core/proc.c: argv spawning, captured streams, caps, stdin, exit status,
 * the deadline; core/manifest.c: substitution, scopes, apply order. */
#include <string.h>

#include "../../core/manifest.h"
#include "../../core/proc.h"
#include "../../core/util.h"
#include "t.h"

static int run(const char *const *argv, const char *in, size_t out_max,
	       double secs, struct cd_proc_result *r, struct cd_err *e)
{
	struct cd_proc_opts o = {.argv = argv, .op = "test", .in = in,
				 .in_len = in ? strlen(in) : 0, .out_max = out_max,
				 .deadline = secs > 0 ? cd_now() + secs : 0};
	return cd_proc_run(&o, r, e);
}

struct seen_output {
	struct cd_buf out, err;
};

static void collect_output(void *ud, int stream, const char *p, size_t n)
{
	struct seen_output *s = ud;
	cd_buf_append(stream == 1 ? &s->out : &s->err, p, n);
}

/* on_output sees every byte of both streams as it comes, the cap aside. */
static void streams_live(void)
{
	static const char *const argv[] = {
		"sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done; echo oops >&2", NULL};
	struct seen_output s = {{0}, {0}};
	struct cd_proc_result r;
	struct cd_err e;
	struct cd_proc_opts o = {.argv = argv, .op = "test", .out_max = 100,
				 .on_output = collect_output, .output_ud = &s};
	T_EQ_INT(cd_proc_run(&o, &r, &e), 0);
	T_EQ_INT(r.status, 0);
	T_EQ_INT(r.out_cut, 1);         /* capture capped at 100 bytes ... */
	T_CHECK(s.out.len > 2000);      /* ... the callback saw it all */
	T_CHECK(strstr(s.out.data, "line 299\n") != NULL);
	T_EQ_STR(s.err.data, "oops\n");
	cd_buf_free(&s.out);
	cd_buf_free(&s.err);
	cd_proc_result_free(&r);
}

static void captures_streams_and_status(void)
{
	static const char *const argv[] = {
		"sh", "-c", "printf 'out;'; printf 'err' >&2; exit 3", NULL};
	struct cd_proc_result r;
	struct cd_err e;
	T_EQ_INT(run(argv, NULL, 0, 10, &r, &e), 0);
	T_EQ_STR(r.out.data, "out;");
	T_EQ_STR(r.err.data, "err");
	T_EQ_INT(r.status, 3);
	T_EQ_INT(r.signaled, 0);
	cd_proc_result_free(&r);
}

static void argv_is_not_a_shell(void)
{
	static const char *const argv[] = {"printf", "%s|", "a b; echo no",
					   "$(id)", NULL};
	struct cd_proc_result r;
	struct cd_err e;
	T_EQ_INT(run(argv, NULL, 0, 10, &r, &e), 0);
	T_EQ_STR(r.out.data, "a b; echo no|$(id)|");
	cd_proc_result_free(&r);
}

static void feeds_stdin(void)
{
	static const char *const argv[] = {"tr", "a-z", "A-Z", NULL};
	static const char *const early[] = {"true", NULL};
	char big[200000];
	struct cd_proc_result r;
	struct cd_err e;
	T_EQ_INT(run(argv, "hello", 0, 10, &r, &e), 0);
	T_EQ_STR(r.out.data, "HELLO");
	cd_proc_result_free(&r);
	memset(big, 'x', sizeof big - 1); /* child exits without reading */
	big[sizeof big - 1] = 0;
	T_EQ_INT(run(early, big, 0, 10, &r, &e), 0);
	T_EQ_INT(r.status, 0);
	cd_proc_result_free(&r);
}

static void caps_output(void)
{
	static const char *const argv[] = {"head", "-c", "100000",
					   "/dev/zero", NULL};
	struct cd_proc_result r;
	struct cd_err e;
	T_EQ_INT(run(argv, NULL, 1000, 10, &r, &e), 0);
	T_EQ_INT(r.out.len, 1000);
	T_EQ_INT(r.out_cut, 1);
	T_EQ_INT(r.status, 0);
	cd_proc_result_free(&r);
}

static void kills_at_deadline(void)
{
	static const char *const argv[] = {"sh", "-c", "echo started; sleep 30",
					   NULL};
	struct cd_proc_result r;
	struct cd_err e;
	double t0 = cd_now();
	T_EQ_INT(run(argv, NULL, 0, 0.5, &r, &e), -CD_E_TIMEOUT);
	T_CHECK(cd_now() - t0 < 5);
	T_EQ_INT(r.timed_out, 1);
	T_EQ_STR(r.out.data, "started\n");
	T_CHECK(strstr(e.msg, "did not finish before the deadline") != NULL);
	cd_proc_result_free(&r);
}

static void missing_program(void)
{
	static const char *const argv[] = {"cdhost-no-such-program", NULL};
	struct cd_proc_result r;
	struct cd_err e;
	T_EQ_INT(run(argv, NULL, 0, 10, &r, &e), -CD_E_NOT_FOUND);
	T_CHECK(strstr(e.msg, "cannot run 'cdhost-no-such-program'") != NULL);
	cd_proc_result_free(&r);
	T_EQ_INT(cd_proc_found("sh"), 1);
	T_EQ_INT(cd_proc_found("cdhost-no-such-program"), 0);
}

static int vars(void *ud, const char *name, size_t n, struct cd_buf *out)
{
	(void)ud;
	if (n == 1 && name[0] == 'A')
		return cd_buf_puts(out, "alpha");
	return 1;
}

static void substitution(void)
{
	struct cd_buf b = CD_BUF_INIT;
	struct cd_err e;
	const char *s = "x: ${A}\ny: $${A} $$ $5 ${A}${A}\n";
	T_EQ_INT(cd_manifest_subst(s, strlen(s), "f", vars, NULL, &b, &e), 0);
	T_EQ_STR(b.data, "x: alpha\ny: ${A} $$ $5 alphaalpha\n");
	cd_buf_reset(&b);
	s = "a\nb\n  ${B}\n";
	T_CHECK(cd_manifest_subst(s, strlen(s), "f.yaml", vars, NULL, &b, &e) < 0);
	T_EQ_STR(e.msg, "f.yaml:3: unknown variable ${B} (not in vars; write "
			"$${ for a literal ${)");
	cd_buf_reset(&b);
	s = "${ A}";
	T_CHECK(cd_manifest_subst(s, strlen(s), "g", vars, NULL, &b, &e) < 0);
	T_CHECK(strstr(e.msg, "g:1: malformed variable reference") != NULL);
	s = "tail ${A";
	T_CHECK(cd_manifest_subst(s, strlen(s), "g", vars, NULL, &b, &e) < 0);
	cd_buf_free(&b);
}

static void kinds(void)
{
	T_EQ_INT(cd_manifest_scope("apps", "Deployment"), 1);
	T_EQ_INT(cd_manifest_scope("", "Namespace"), 0);
	T_EQ_INT(cd_manifest_scope("example.com", "Widget"), -1);
	T_CHECK(cd_manifest_kind_rank("Namespace") <
		cd_manifest_kind_rank("CustomResourceDefinition"));
	T_CHECK(cd_manifest_kind_rank("CustomResourceDefinition") <
		cd_manifest_kind_rank("ServiceAccount"));
	T_CHECK(cd_manifest_kind_rank("ConfigMap") <
		cd_manifest_kind_rank("Deployment"));
	T_CHECK(cd_manifest_kind_rank("Ingress") < cd_manifest_kind_rank("Widget"));
	T_EQ_INT(cd_manifest_kind_rank("Widget"), cd_manifest_kind_rank("Gadget"));
}

int main(void)
{
	T_RUN(streams_live);
	T_RUN(captures_streams_and_status);
	T_RUN(argv_is_not_a_shell);
	T_RUN(feeds_stdin);
	T_RUN(caps_output);
	T_RUN(kills_at_deadline);
	T_RUN(missing_program);
	T_RUN(substitution);
	T_RUN(kinds);
	return T_DONE();
}
