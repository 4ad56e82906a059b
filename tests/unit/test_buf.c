/* core/buf.c and core/mem.c: caps and injected allocation failure. */
#include "../../core/buf.h"
#include "../../core/mem.h"
#include "t.h"

static void appends_and_caps(void)
{
	struct cd_buf b = CD_BUF_INIT;
	b.max = 10;
	T_EQ_INT(cd_buf_puts(&b, "hello"), 0);
	T_EQ_INT(cd_buf_printf(&b, "%d", 1234), 0);
	T_EQ_STR(b.data, "hello1234");
	T_EQ_INT(cd_buf_puts(&b, "xy"), -1); /* would pass the cap */
	T_EQ_STR(b.data, "hello1234");      /* unchanged */
	T_EQ_INT(cd_buf_putc(&b, '!'), 0);
	T_EQ_INT(b.len, 10);
	size_t n;
	char *s = cd_buf_steal(&b, &n);
	T_EQ_STR(s, "hello1234!");
	T_EQ_INT(n, 10);
	T_CHECK(b.data == NULL);
	cd_free(s);
	cd_buf_free(&b);
	cd_buf_free(NULL);
}

static void allocation_failure_is_reported(void)
{
	struct cd_buf b = CD_BUF_INIT;
	cd_mem_fail_after(1);
	T_EQ_INT(cd_buf_puts(&b, "x"), -1);
	cd_mem_fail_after(0);
	T_EQ_INT(cd_buf_puts(&b, "x"), 0);
	T_EQ_STR(b.data, "x");
	cd_buf_free(&b);
}

int main(void)
{
	T_RUN(appends_and_caps);
	T_RUN(allocation_failure_is_reported);
	return T_DONE();
}
