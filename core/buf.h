/* core/buf.h — a growable byte buffer with a hard size cap.
 *
 * Every response body and every rendered document goes through one of these,
 * so nothing grows without bound. The data is always NUL-terminated. */
#ifndef CD_BUF_H
#define CD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct cd_buf {
	char *data;  /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;  /* allocated bytes */
	size_t max;  /* cap on len; 0 = CD_BUF_DEFAULT_MAX */
};

#define CD_BUF_DEFAULT_MAX ((size_t)1 << 30)
#define CD_BUF_INIT {NULL, 0, 0, 0}

/* 0, or -1 when the cap would be exceeded or memory is exhausted
 * (the buffer is left unchanged). */
int cd_buf_append(struct cd_buf *b, const void *p, size_t n);
int cd_buf_puts(struct cd_buf *b, const char *s);
int cd_buf_putc(struct cd_buf *b, char c);
int cd_buf_printf(struct cd_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cd_buf_vprintf(struct cd_buf *b, const char *fmt, va_list ap);
void cd_buf_reset(struct cd_buf *b);
/* Hands the data to the caller (free() it); the buffer is emptied. */
char *cd_buf_steal(struct cd_buf *b, size_t *len);
void cd_buf_free(struct cd_buf *b);

#endif
