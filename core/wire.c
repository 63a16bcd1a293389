/* wire.c — frames between the service and its worker processes (wire.h): blocking send and receive
 * for the worker, an incremental decoder for the service's event loop. */
#include "wire.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

void bl_wire_header(char out[BL_WIRE_HEADER], int type, size_t len)
{
    uint32_t n = (uint32_t)len;
    out[0] = (char)(n & 0xff);
    out[1] = (char)((n >> 8) & 0xff);
    out[2] = (char)((n >> 16) & 0xff);
    out[3] = (char)((n >> 24) & 0xff);
    out[4] = (char)type;
}

static size_t length_of(const char *h)
{
    const unsigned char *u = (const unsigned char *)h;
    return (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16 | (size_t)u[3] << 24;
}

int bl_wire_send(int fd, int type, const char *body, size_t len)
{
    char h[BL_WIRE_HEADER];
    if (len > BL_WIRE_MAX)
        return BL_ERR;
    bl_wire_header(h, type, len);
    struct iovec iov[2] = {{h, sizeof h}, {(void *)body, len}};
    int n = 2;
    struct iovec *v = iov;
    while (n > 0) {
        ssize_t w = writev(fd, v, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return BL_ERR;
        }
        while (n > 0 && (size_t)w >= v->iov_len) {
            w -= (ssize_t)v->iov_len;
            v++, n--;
        }
        if (n > 0) {
            v->iov_base = (char *)v->iov_base + w;
            v->iov_len -= (size_t)w;
        }
    }
    return BL_OK;
}

/* Reads exactly n bytes; 0 at a clean end of stream before the first byte, -1 on error. */
static int read_full(int fd, char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 && got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

int bl_wire_recv(int fd, int *type, bl_buf *body)
{
    char h[BL_WIRE_HEADER];
    int r = read_full(fd, h, sizeof h);
    if (r <= 0)
        return r == 0 ? BL_NOTFOUND : BL_ERR;
    size_t len = length_of(h);
    if (len > BL_WIRE_MAX)
        return BL_ERR;
    *type = (unsigned char)h[4];
    body->len = 0;
    bl_buf_reserve(body, len);
    if (len && read_full(fd, body->data, len) != 1)
        return BL_ERR;
    body->len = len;
    body->data[len] = '\0';
    return BL_OK;
}

void bl_wire_feed(bl_wire_dec *d, const char *data, size_t n)
{
    if (d->off > 0 && d->off == d->buf.len) { /* everything taken: start over */
        d->buf.len = d->off = 0;
    } else if (d->off > (1u << 16) && d->off > d->buf.len / 2) { /* keep the buffer from creeping */
        memmove(d->buf.data, d->buf.data + d->off, d->buf.len - d->off);
        d->buf.len -= d->off;
        d->off = 0;
    }
    bl_buf_add(&d->buf, data, n);
}

int bl_wire_next(bl_wire_dec *d, int *type, const char **body, size_t *len)
{
    size_t have = d->buf.len - d->off;
    if (d->broken || have < BL_WIRE_HEADER)
        return 0;
    const char *h = d->buf.data + d->off;
    size_t n = length_of(h);
    if (n > BL_WIRE_MAX) {
        d->broken = 1;
        return 0;
    }
    if (have < BL_WIRE_HEADER + n)
        return 0;
    *type = (unsigned char)h[4];
    *body = h + BL_WIRE_HEADER;
    *len = n;
    d->off += BL_WIRE_HEADER + n;
    return 1;
}

void bl_wire_dec_free(bl_wire_dec *d)
{
    bl_buf_free(&d->buf);
    d->off = 0;
}

void bl_wire_eval_frame(bl_buf *frame, const char *type, const char *id, int64_t now, const cJSON *record)
{
    BL_JSON_LIT(frame, "{\"type\":");
    bl_json_put_str(frame, type, strlen(type));
    BL_JSON_LIT(frame, ",\"id\":");
    bl_json_put_str(frame, id, strlen(id));
    BL_JSON_LIT(frame, ",\"now\":");
    bl_json_put_int(frame, now);
    BL_JSON_LIT(frame, ",\"record\":");
    bl_json_put_value(frame, record);
    BL_JSON_LIT(frame, "}");
}

int bl_wire_fail_of(const char *body, size_t len, char **err, int *limit)
{
    return bl_wire_fail_in(body, len, NULL, err, limit);
}

int bl_wire_fail_in(const char *body, size_t len, const char *lang, char **err, int *limit)
{
    char perr[200];
    cJSON *o = bl_json_parse(body, len, perr, sizeof perr);
    int rc = (int)bl_json_num(o, "rc", BL_ERR);
    const char *zh = lang && strcmp(lang, "zh-CN") == 0 ? bl_json_str(o, "error_zh") : NULL;
    *err = bl_strdupf("%s", zh ? zh : bl_json_str(o, "error") ? bl_json_str(o, "error") : perr);
    if (limit)
        *limit = bl_json_str(o, "limit") != NULL || strstr(*err, "ran past its") != NULL;
    cJSON_Delete(o);
    return rc == BL_INVALID ? BL_INVALID : BL_ERR;
}
