#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static int grow(struct cd_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : CD_BUF_DEFAULT_MAX;
	if (extra > max || b->len > max - extra)
		return -1;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = cd_realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int cd_buf_append(struct cd_buf *b, const void *p, size_t n)
{
	if (grow(b, n) != 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int cd_buf_puts(struct cd_buf *b, const char *s)
{
	return cd_buf_append(b, s, strlen(s));
}

int cd_buf_putc(struct cd_buf *b, char c)
{
	return cd_buf_append(b, &c, 1);
}

int cd_buf_vprintf(struct cd_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || grow(b, (size_t)n) != 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int cd_buf_printf(struct cd_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = cd_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void cd_buf_reset(struct cd_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *cd_buf_steal(struct cd_buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void cd_buf_free(struct cd_buf *b)
{
	if (!b)
		return;
	cd_free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
