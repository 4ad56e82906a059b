#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const struct {
	const char *name, *label, *color;
} levels[] = {
	[CD_LOG_DEBUG] = {"debug", "debug: ", "\033[2m"},
	[CD_LOG_INFO] = {"info", "", ""},
	[CD_LOG_WARN] = {"warn", "warning: ", "\033[33m"},
	[CD_LOG_ERROR] = {"error", "error: ", "\033[31;1m"},
};

const char *cd_level_name(enum cd_level level)
{
	return levels[level].name;
}

void cd_report_init(struct cd_report *r, FILE *out, enum cd_format format,
		    int verbosity, int no_color)
{
	memset(r, 0, sizeof *r);
	r->out = out;
	r->format = format;
	r->verbosity = verbosity;
	r->tty = isatty(fileno(out));
	const char *nc = getenv("NO_COLOR");
	r->color = r->tty && !no_color && !(nc && *nc) &&
		   format == CD_FORMAT_TEXT;
}

static void emit_json(struct cd_report *r, const char *phase,
		      const char *event, json_t *fields)
{
	json_t *o = json_object();
	if (!o)
		return;
	json_object_set_new(o, "ts", json_real(cd_wall()));
	json_object_set_new(o, "phase", json_string(phase));
	json_object_set_new(o, "event", json_string(event));
	if (fields)
		json_object_update(o, fields);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, r->out);
		fputc('\n', r->out);
		free(s);
	}
	json_decref(o);
	fflush(r->out);
}

/* Every line is written under the stream's lock: the offloaded parts of
 * primitives (cdhost.parallel) log from worker threads. */
void cd_report_event(struct cd_report *r, const char *phase,
		     const char *event, json_t *fields, const char *text)
{
	flockfile(r->out);
	if (r->format == CD_FORMAT_JSON) {
		emit_json(r, phase, event, fields);
	} else if (text) {
		fputs(text, r->out);
		fputc('\n', r->out);
		fflush(r->out);
	}
	funlockfile(r->out);
}

void cd_report_error(struct cd_report *r, const char *phase, const char *code,
		     const char *op, const char *message, const char *where,
		     int exit_code, json_t *traceback, const char *text)
{
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "code", code,
			      "op", op ? op : "", "message", message ? message : "",
			      "where", where ? where : "", "exit", exit_code,
			      "traceback", traceback ? traceback : json_array());
	flockfile(r->out);
	r->errors++;
	funlockfile(r->out);
	cd_report_event(r, phase, "error", f, text);
	json_decref(f);
}

static int level_shown(const struct cd_report *r, enum cd_level level)
{
	if (level == CD_LOG_DEBUG)
		return r->verbosity > 0;
	if (level == CD_LOG_INFO)
		return r->verbosity >= 0;
	return 1;
}

void cd_report_log(struct cd_report *r, enum cd_level level, const char *phase,
		   const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	flockfile(r->out); /* the counters too */
	if (level == CD_LOG_WARN)
		r->warnings++;
	if (level == CD_LOG_ERROR)
		r->errors++;
	if (!level_shown(r, level)) {
		funlockfile(r->out);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (r->format == CD_FORMAT_JSON) {
		json_t *f = json_pack("{s:s, s:s}", "level", levels[level].name,
				      "message", msg);
		emit_json(r, phase, "log", f);
		json_decref(f);
	} else if (r->color && *levels[level].color) {
		fprintf(r->out, "%s%s%s\033[0m\n", levels[level].color,
			levels[level].label, msg);
	} else {
		fprintf(r->out, "%s%s\n", levels[level].label, msg);
	}
	fflush(r->out);
	funlockfile(r->out);
}
