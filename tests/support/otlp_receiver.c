/* tests/support/otlp_receiver.c — see otlp_receiver.h. */
#include "otlp_receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct upload {
    char *data;
    size_t len;
} upload;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls)
{
    (void)version;
    otlp_receiver *r = cls;
    upload *u = *con_cls;
    if (u == NULL) {
        *con_cls = calloc(1, sizeof *u);
        return MHD_YES;
    }
    if (*size > 0) {
        u->data = realloc(u->data, u->len + *size + 1);
        memcpy(u->data + u->len, data, *size);
        u->len += *size;
        u->data[u->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    pthread_mutex_lock(&r->mu);
    if (strcmp(method, "POST") != 0 || strcmp(url, "/v1/traces") != 0 || ct == NULL ||
        strcmp(ct, "application/json") != 0 || u->data == NULL || r->nbodies == 16) {
        r->bad++;
        free(u->data);
    } else {
        r->bodies[r->nbodies++] = u->data;
    }
    int status = r->status;
    pthread_mutex_unlock(&r->mu);
    free(u);
    *con_cls = NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ok;
}

bool otlp_receiver_start(otlp_receiver *r, int status)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->status = status;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, r,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    if (r->d == NULL) return false;
    r->port = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return r->port > 0;
}

void otlp_receiver_stop(otlp_receiver *r)
{
    MHD_stop_daemon(r->d);
    for (int i = 0; i < r->nbodies; i++) free(r->bodies[i]);
    pthread_mutex_destroy(&r->mu);
}
