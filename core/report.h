/* core/report.h — everything cdhost says on stderr.
 *
 * stdout carries only a command's product (SPEC section 2); progress, logs,
 * plans, summaries and errors come through here: human text on a terminal
 * (colour unless NO_COLOR/--no-color), plain lines otherwise, or one JSON
 * object per line with --output json (schema in docs/events.md). */
#ifndef CD_REPORT_H
#define CD_REPORT_H

#include <jansson.h>
#include <stdio.h>

enum cd_level { CD_LOG_DEBUG, CD_LOG_INFO, CD_LOG_WARN, CD_LOG_ERROR };
enum cd_format { CD_FORMAT_TEXT, CD_FORMAT_JSON };

struct cd_report {
	enum cd_format format;
	int color;     /* ANSI colours on */
	int tty;       /* the stream is a terminal */
	int verbosity; /* -1 quiet, 0 normal, 1 verbose (-v) */
	FILE *out;
	unsigned warnings, errors;
};

void cd_report_init(struct cd_report *r, FILE *out, enum cd_format format,
		    int verbosity, int no_color);
/* A log line. `phase` is "recipe", "build", ... (JSON's "phase" field). */
void cd_report_log(struct cd_report *r, enum cd_level level, const char *phase,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A structured event: `text` is the human line (NULL: none in text mode);
 * `fields` (borrowed, may be NULL) are merged into the JSON object after
 * ts, phase and event. */
void cd_report_event(struct cd_report *r, const char *phase,
		     const char *event, json_t *fields, const char *text);
/* An `error` event (docs/events.md): code, op, message, where, exit and
 * traceback (stolen; NULL: empty). `text` is the human line (NULL: none),
 * as for cd_report_event. Counted as an error. */
void cd_report_error(struct cd_report *r, const char *phase, const char *code,
		     const char *op, const char *message, const char *where,
		     int exit_code, json_t *traceback, const char *text);
const char *cd_level_name(enum cd_level level);

#endif
