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
 * unpinned, 2 interleaved runs: longest slice 8.2 / 11.3 -> 5.1 / 5.1 ms.
 * tcache_nslots_small_max:1024 and lg_tcache_nslots_mul:4 let a thread's
 * cache of each small size class hold up to 16 slabs' worth of freed
 * blocks, at most 1024 (defaults: 2 slabs, at most 200), so it hands
 * freed blocks back to the arena in batches of up to 512 instead of
 * 64-100: GC COLLECT of 1M garbage objects frees 3M blocks, and its CPU
 * time per object fell 98-106 -> 81-90 ns (4 interleaved 1M runs; 2048
 * and 4096 slots gained little more). A thread may keep a few MB more of
 * freed small blocks cached (an estimate, not measured), which
 * jemalloc's tcache GC gives back over time as for the defaults. */
const char *malloc_conf = "oversize_threshold:0,tcache_nslots_small_max:1024,"
                          "lg_tcache_nslots_mul:4";

/* Run the server with redis-server style arguments. */
int main(int argc, char **argv)
{
    return srv_main(argc, argv);
}
