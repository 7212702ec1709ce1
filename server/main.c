/*
 * main.c - the gencached executable: everything lives in the server
 * library (srv_main), so tests can link the same code.
 */
#include "srv.h"

/* Run the server with redis-server style arguments. */
int main(int argc, char **argv)
{
    return srv_main(argc, argv);
}
