/*
 * main.c - the gencached executable: everything lives in the server
 * library (srv_main), so tests can link the same code.
 */
#include "srv.h"

/* jemalloc's options, read once when it starts (MALLOC_CONF in the
 * environment still overrides them; unused under the C library's malloc).
 * oversize_threshold:0 keeps allocations of 8 MB and more in the calling
 * thread's arena instead of jemalloc's dedicated huge arena, which purges
 * every freed page at once inside free(): freeing a big table (the 134 MB
 * bucket array of a 10M-key keyspace) then took one madvise of ~15 ms on
 * the executor. Now those pages are purged like all others, by the
 * background threads (jemalloc-bg-thread). 10M-object collection,
 * unpinned, 2 interleaved runs: longest slice 8.2 / 11.3 -> 5.1 / 5.1 ms. */
const char *malloc_conf = "oversize_threshold:0";

/* Run the server with redis-server style arguments. */
int main(int argc, char **argv)
{
    return srv_main(argc, argv);
}
