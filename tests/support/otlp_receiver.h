/* tests/support/otlp_receiver.h — a small OTLP/HTTP receiver on 127.0.0.1
 * (libmicrohttpd, its own polling thread) for the tests of the OTLP
 * exporter: it keeps the bodies of the first 16 JSON POSTs to /v1/traces
 * and counts every other request as bad.
 *
 * Not part of SUPPORT_OBJ: only the tests that link -lmicrohttpd link it
 * (the Makefile's RECEIVER_OBJ). */
#ifndef FX_TEST_OTLP_RECEIVER_H
#define FX_TEST_OTLP_RECEIVER_H

#include <pthread.h>
#include <stdbool.h>

typedef struct otlp_receiver {
    struct MHD_Daemon *d;
    int port;               /* the port it listens on, > 0 once started */
    pthread_mutex_t mu;     /* guards the fields below while it runs */
    char *bodies[16];       /* malloc'd, freed by otlp_receiver_stop */
    int nbodies;
    int bad;                /* requests that were not POST /v1/traces with JSON */
    int status;             /* the HTTP status it answers with */
} otlp_receiver;

/* Starts r answering `status` to every request; false when it could not
 * listen. */
bool otlp_receiver_start(otlp_receiver *r, int status);

/* Stops r and frees the bodies it kept. */
void otlp_receiver_stop(otlp_receiver *r);

#endif
