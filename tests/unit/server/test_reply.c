/*
 * test_reply.c - unit tests of server/reply.c: every srv_reply_* helper
 * writing into a client's output buffer in RESP2 and RESP3, the "ERR "
 * prefixing rule of errors, CR/LF replacement, CLIENT REPLY OFF/SKIP and
 * closing clients, deferred aggregate lengths and write scheduling.
 *
 * The client is a zeroed srv_client_t with only what reply.c reads set:
 * out (its proto), flags, reply_mode, pending_write, argc/argv and cmd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server.h"

/* A zeroed client speaking proto, already on the pending-write list so
 * that replies do not queue it (tests of the queueing clear this). */
static srv_client_t *client_new(int proto)
{
    srv_client_t *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    resp_buf_init(&c->out, proto);
    c->resp = proto;
    c->pending_write = 1;
    return c;
}

/* Free a client made by client_new. */
static void client_free(srv_client_t *c)
{
    resp_buf_fini(&c->out);
    free(c);
}

/* Assert that c's output is exactly want, then empty it. */
static void expect_out(srv_client_t *c, const char *want)
{
    size_t n = strlen(want);

    assert_int_equal(c->out.len, n);
    assert_memory_equal(c->out.data, want, n);
    resp_buf_reset(&c->out);
}

static void test_reply_simple_types_resp2(void **state)
{
    srv_client_t *c = client_new(2);

    (void)state;
    srv_reply_ok(c);
    expect_out(c, "+OK\r\n");
    srv_reply_simple(c, "PONG");
    expect_out(c, "+PONG\r\n");
    srv_reply_int(c, -42);
    expect_out(c, ":-42\r\n");
    srv_reply_int(c, INT64_MAX);
    expect_out(c, ":9223372036854775807\r\n");
    srv_reply_bulk(c, "a\0b", 3);
    assert_int_equal(c->out.len, 9);
    assert_memory_equal(c->out.data, "$3\r\na\0b\r\n", 9);
    resp_buf_reset(&c->out);
    srv_reply_bulk(c, "", 0);
    expect_out(c, "$0\r\n\r\n");
    srv_reply_bulk_cstr(c, "hello");
    expect_out(c, "$5\r\nhello\r\n");
    srv_reply_bulk_cstr(c, NULL);
    expect_out(c, "$-1\r\n");
    srv_reply_bulk_int(c, -7);
    expect_out(c, "$2\r\n-7\r\n");
    srv_reply_null(c);
    expect_out(c, "$-1\r\n");
    srv_reply_null_array(c);
    expect_out(c, "*-1\r\n");
    client_free(c);
}

static void test_reply_simple_types_resp3(void **state)
{
    srv_client_t *c = client_new(3);

    (void)state;
    srv_reply_ok(c);
    expect_out(c, "+OK\r\n");
    srv_reply_int(c, 0);
    expect_out(c, ":0\r\n");
    srv_reply_bulk_cstr(c, NULL);
    expect_out(c, "_\r\n");
    srv_reply_null(c);
    expect_out(c, "_\r\n");
    srv_reply_null_array(c);
    expect_out(c, "_\r\n");
    client_free(c);
}

static void test_reply_aggregates_resp2(void **state)
{
    srv_client_t *c = client_new(2);

    (void)state;
    srv_reply_array_len(c, 3);
    expect_out(c, "*3\r\n");
    srv_reply_array_len(c, 0);
    expect_out(c, "*0\r\n");
    /* A map of n pairs is a flat array of 2n elements in RESP2. */
    srv_reply_map_len(c, 2);
    expect_out(c, "*4\r\n");
    srv_reply_set_len(c, 5);
    expect_out(c, "*5\r\n");
    client_free(c);
}

static void test_reply_aggregates_resp3(void **state)
{
    srv_client_t *c = client_new(3);

    (void)state;
    srv_reply_array_len(c, 3);
    expect_out(c, "*3\r\n");
    srv_reply_map_len(c, 2);
    expect_out(c, "%2\r\n");
    srv_reply_set_len(c, 5);
    expect_out(c, "~5\r\n");
    client_free(c);
}

static void test_reply_double_bool_verbatim_resp2(void **state)
{
    srv_client_t *c = client_new(2);

    (void)state;
    srv_reply_double(c, 1.5);
    expect_out(c, "$3\r\n1.5\r\n");
    srv_reply_double(c, 1.0 / 0.0);
    expect_out(c, "$3\r\ninf\r\n");
    srv_reply_double(c, -1.0 / 0.0);
    expect_out(c, "$4\r\n-inf\r\n");
    srv_reply_bool(c, 1);
    expect_out(c, ":1\r\n");
    srv_reply_bool(c, 0);
    expect_out(c, ":0\r\n");
    srv_reply_verbatim(c, "abc", 3, "txt");
    expect_out(c, "$3\r\nabc\r\n");
    client_free(c);
}

static void test_reply_double_bool_verbatim_resp3(void **state)
{
    srv_client_t *c = client_new(3);

    (void)state;
    srv_reply_double(c, 1.5);
    expect_out(c, ",1.5\r\n");
    srv_reply_double(c, 0.1);
    expect_out(c, ",0.10000000000000001\r\n");
    srv_reply_double(c, -1.0 / 0.0);
    expect_out(c, ",-inf\r\n");
    srv_reply_bool(c, 1);
    expect_out(c, "#t\r\n");
    srv_reply_bool(c, 0);
    expect_out(c, "#f\r\n");
    srv_reply_verbatim(c, "abc", 3, "txt");
    expect_out(c, "=7\r\ntxt:abc\r\n");
    client_free(c);
}

/* A message with an upper-case code word keeps it; others get "ERR ". */
static void test_reply_error_code_prefixing(void **state)
{
    srv_client_t *c = client_new(2);

    (void)state;
    srv_reply_error(c, "ERR syntax error");
    expect_out(c, "-ERR syntax error\r\n");
    srv_reply_error(c, "WRONGTYPE Operation");
    expect_out(c, "-WRONGTYPE Operation\r\n");
    srv_reply_error(c, "-NOAUTH Authentication required.");
    expect_out(c, "-NOAUTH Authentication required.\r\n");
    srv_reply_error(c, "NOSCRIPT");
    expect_out(c, "-NOSCRIPT\r\n");
    srv_reply_error(c, "something went wrong");
    expect_out(c, "-ERR something went wrong\r\n");
    srv_reply_error(c, "Err mixed case");
    expect_out(c, "-ERR Err mixed case\r\n");
    srv_reply_error(c, "ERRx no space after the code");
    expect_out(c, "-ERR ERRx no space after the code\r\n");
    srv_reply_error(c, "");
    expect_out(c, "-ERR \r\n");
    client_free(c);
}

static void test_reply_error_crlf_replaced(void **state)
{
    srv_client_t *c = client_new(3);

    (void)state;
    srv_reply_error(c, "ERR line one\r\nline two\nthree\r");
    expect_out(c, "-ERR line one  line two three \r\n");
    client_free(c);
}

static void test_reply_errorf_formats(void **state)
{
    srv_client_t *c = client_new(2);
    char big[2000];

    (void)state;
    srv_reply_errorf(c, "ERR value %d of '%s'", 12, "k");
    expect_out(c, "-ERR value 12 of 'k'\r\n");
    srv_reply_errorf(c, "no code %s", "here");
    expect_out(c, "-ERR no code here\r\n");
    /* Long texts are cut, never overflow. */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    srv_reply_errorf(c, "ERR %s", big);
    assert_true(c->out.len > 100 && c->out.len < 1100);
    assert_memory_equal(c->out.data, "-ERR xxx", 8);
    assert_memory_equal(c->out.data + c->out.len - 2, "\r\n", 2);
    resp_buf_reset(&c->out);
    client_free(c);
}

/* Errors are counted even when the reply itself is suppressed. */
static void test_reply_error_counts_stats(void **state)
{
    srv_client_t *c = client_new(2);
    uint64_t before = srv.stats.total_error_replies;

    (void)state;
    srv_reply_error(c, "ERR one");
    assert_int_equal(srv.stats.total_error_replies, before + 1);
    c->reply_mode = SRV_REPLY_OFF;
    srv_reply_error(c, "ERR two");
    assert_int_equal(srv.stats.total_error_replies, before + 2);
    assert_int_equal(c->out.len, strlen("-ERR one\r\n"));
    client_free(c);
}

static void test_reply_canned_errors(void **state)
{
    srv_client_t *c = client_new(2);

    (void)state;
    srv_reply_wrongtype(c);
    expect_out(c, "-WRONGTYPE Operation against a key holding the wrong "
                  "kind of value\r\n");
    srv_reply_syntax_error(c);
    expect_out(c, "-ERR syntax error\r\n");
    srv_reply_not_integer(c);
    expect_out(c, "-ERR value is not an integer or out of range\r\n");
    srv_reply_not_float(c);
    expect_out(c, "-ERR value is not a valid float\r\n");
    srv_reply_no_such_key(c);
    expect_out(c, "-ERR no such key\r\n");
    srv_reply_oom(c);
    expect_out(c, "-OOM command not allowed when used memory > "
                  "'maxmemory'.\r\n");
    client_free(c);
}

static void test_reply_arity_error_names_command(void **state)
{
    srv_client_t *c = client_new(2);

    (void)state;
    c->cmd = srv_command_lookup("get", 3);
    assert_non_null(c->cmd);
    srv_reply_arity_error(c);
    expect_out(c, "-ERR wrong number of arguments for 'get' command\r\n");
    c->cmd = NULL;
    srv_reply_arity_error(c);
    expect_out(c, "-ERR wrong number of arguments for '' command\r\n");
    client_free(c);
}

static void test_reply_unknown_subcommand_text(void **state)
{
    srv_client_t *c = client_new(2);
    resp_slice_t argv[2] = {{"cLiEnt", 6}, {"bogus", 5}};
    resp_slice_t nul[2] = {{"config", 6}, {"ab\0cd", 5}};

    (void)state;
    c->argc = 2;
    c->argv = argv;
    srv_reply_unknown_subcommand(c);
    expect_out(c, "-ERR unknown subcommand 'bogus'. Try CLIENT HELP.\r\n");
    /* The name stops at a NUL byte, as a C string would. */
    c->argv = nul;
    srv_reply_unknown_subcommand(c);
    expect_out(c, "-ERR unknown subcommand 'ab'. Try CONFIG HELP.\r\n");
    /* Without a subcommand it is an arity error. */
    c->argc = 1;
    c->cmd = srv_command_lookup("client", 6);
    srv_reply_unknown_subcommand(c);
    expect_out(c, "-ERR wrong number of arguments for 'client' command\r\n");
    client_free(c);
}

static void test_reply_help_lines(void **state)
{
    static const char *const lines[] = {"FOO <arg>", "    Do foo.", NULL};
    static const char *const none[] = {NULL};
    srv_client_t *c = client_new(3);

    (void)state;
    srv_reply_help(c, lines);
    expect_out(c, "*2\r\n+FOO <arg>\r\n+    Do foo.\r\n");
    srv_reply_help(c, none);
    expect_out(c, "*0\r\n");
    client_free(c);
}

static void test_reply_obj_string_encodings(void **state)
{
    srv_client_t *c = client_new(2);
    hp_obj_t *i = hp_str_new_int(12345);
    hp_obj_t *s = hp_str_new("hello world", 11);

    (void)state;
    assert_non_null(i);
    assert_non_null(s);
    srv_reply_obj(c, i);
    expect_out(c, "$5\r\n12345\r\n");
    srv_reply_obj(c, s);
    expect_out(c, "$11\r\nhello world\r\n");
    hp_decref(i);
    hp_decref(s);
    client_free(c);
}

static void test_reply_deferred_array_resp2(void **state)
{
    srv_client_t *c = client_new(2);
    size_t h;

    (void)state;
    h = srv_reply_deferred(c);
    assert_int_not_equal(h, SIZE_MAX);
    srv_reply_bulk_cstr(c, "a");
    srv_reply_int(c, 2);
    srv_reply_set_deferred(c, h, '*', 2);
    expect_out(c, "*2\r\n$1\r\na\r\n:2\r\n");
    /* A map count is pairs: doubled in RESP2. */
    h = srv_reply_deferred(c);
    srv_reply_bulk_cstr(c, "k");
    srv_reply_bulk_cstr(c, "v");
    srv_reply_set_deferred(c, h, '%', 1);
    expect_out(c, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n");
    client_free(c);
}

static void test_reply_deferred_map_resp3(void **state)
{
    srv_client_t *c = client_new(3);
    size_t h;

    (void)state;
    srv_reply_int(c, 1); /* a reply before the deferred one stays */
    h = srv_reply_deferred(c);
    srv_reply_bulk_cstr(c, "k");
    srv_reply_bool(c, 1);
    srv_reply_set_deferred(c, h, '%', 1);
    expect_out(c, ":1\r\n%1\r\n$1\r\nk\r\n#t\r\n");
    h = srv_reply_deferred(c);
    srv_reply_set_deferred(c, h, '~', 0);
    expect_out(c, "~0\r\n");
    client_free(c);
}

/* CLIENT REPLY OFF and SKIP suppress every reply; SKIP_NEXT (set for the
 * command after CLIENT REPLY SKIP) does not suppress the current one. */
static void test_reply_mode_off_and_skip(void **state)
{
    srv_client_t *c = client_new(2);
    size_t h;

    (void)state;
    c->reply_mode = SRV_REPLY_OFF;
    srv_reply_ok(c);
    srv_reply_int(c, 1);
    srv_reply_bulk(c, "x", 1);
    srv_reply_help(c, (const char *const[]){"a", NULL});
    h = srv_reply_deferred(c);
    assert_int_equal(h, SIZE_MAX);
    srv_reply_set_deferred(c, h, '*', 3); /* ignored */
    assert_int_equal(c->out.len, 0);
    c->reply_mode = SRV_REPLY_SKIP;
    srv_reply_ok(c);
    srv_reply_null(c);
    assert_int_equal(c->out.len, 0);
    c->reply_mode = SRV_REPLY_SKIP_NEXT;
    srv_reply_ok(c);
    expect_out(c, "+OK\r\n");
    c->reply_mode = SRV_REPLY_ON;
    srv_reply_ok(c);
    expect_out(c, "+OK\r\n");
    client_free(c);
}

/* A closing client gets no more output. */
static void test_reply_closing_client_suppressed(void **state)
{
    srv_client_t *c = client_new(2);

    (void)state;
    c->flags = SRV_CLIENT_CLOSE_ASAP;
    srv_reply_ok(c);
    srv_reply_error(c, "ERR x");
    assert_int_equal(c->out.len, 0);
    c->flags = SRV_CLIENT_CLOSING;
    srv_reply_int(c, 3);
    assert_int_equal(c->out.len, 0);
    /* CLOSE_AFTER_REPLY still gets its reply (QUIT's +OK). */
    c->flags = SRV_CLIENT_CLOSE_AFTER_REPLY;
    srv_reply_ok(c);
    expect_out(c, "+OK\r\n");
    client_free(c);
}

/* The first reply queues the client for writing, once. */
static void test_reply_schedules_write_once(void **state)
{
    srv_client_t *c = client_new(2);
    srv_client_t *saved = srv.pending_write;

    (void)state;
    srv.pending_write = NULL;
    c->pending_write = 0;
    c->reply_mode = SRV_REPLY_OFF;
    srv_reply_ok(c);
    assert_null(srv.pending_write); /* suppressed: nothing to write */
    c->reply_mode = SRV_REPLY_ON;
    srv_reply_ok(c);
    assert_ptr_equal(srv.pending_write, c);
    assert_int_equal(c->pending_write, 1);
    assert_null(c->pending_next);
    srv_reply_int(c, 1);
    assert_ptr_equal(srv.pending_write, c);
    assert_null(c->pending_next);
    expect_out(c, "+OK\r\n:1\r\n");
    srv.pending_write = saved;
    client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_simple_types_resp2),
        cmocka_unit_test(test_reply_simple_types_resp3),
        cmocka_unit_test(test_reply_aggregates_resp2),
        cmocka_unit_test(test_reply_aggregates_resp3),
        cmocka_unit_test(test_reply_double_bool_verbatim_resp2),
        cmocka_unit_test(test_reply_double_bool_verbatim_resp3),
        cmocka_unit_test(test_reply_error_code_prefixing),
        cmocka_unit_test(test_reply_error_crlf_replaced),
        cmocka_unit_test(test_reply_errorf_formats),
        cmocka_unit_test(test_reply_error_counts_stats),
        cmocka_unit_test(test_reply_canned_errors),
        cmocka_unit_test(test_reply_arity_error_names_command),
        cmocka_unit_test(test_reply_unknown_subcommand_text),
        cmocka_unit_test(test_reply_help_lines),
        cmocka_unit_test(test_reply_obj_string_encodings),
        cmocka_unit_test(test_reply_deferred_array_resp2),
        cmocka_unit_test(test_reply_deferred_map_resp3),
        cmocka_unit_test(test_reply_mode_off_and_skip),
        cmocka_unit_test(test_reply_closing_client_suppressed),
        cmocka_unit_test(test_reply_schedules_write_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
