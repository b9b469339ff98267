/*
 * dsr.core._ticketc: many HMAC-SHA256 tickets in one call, with OpenSSL's SHA-256 (SHA-NI where the CPU has it).
 *
 * An optional accelerator of dsr.core.tickets / dsr.core.draw: the same bytes as the pure-Python path, which is
 * used when this module is not built (no compiler, no OpenSSL headers) and which the draw spot-checks against.
 *
 *   many(seed, prefix, joined, count) -> bytes
 *       The tickets HMAC-SHA256(key=seed, msg=prefix || key_i), 32 bytes each, concatenated, for the `count`
 *       keys of `joined` (UTF-8 keys separated by single 0x00 bytes, none after the last). ValueError if
 *       `joined` does not hold exactly `count` keys (a key holding NUL). RFC 2104: a seed longer than 64
 *       bytes is hashed first; the two pad blocks are absorbed once and their states copied per key.
 *
 *   below(tickets, where_of, start, bounds) -> bytes
 *       Per ticket i (32 bytes each): 1 if tickets[i] < bounds[where_of[start + i]] as byte strings, else 0.
 *       `where_of` is a list of ints, `bounds` a dict of int -> bytes (b"" or 32 bytes).
 *
 * The hashing loop runs without the GIL: the buffers are immutable bytes objects held for the call.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co.: deprecated in OpenSSL 3, kept, and a plain struct to copy */
#include <Python.h>
#include <string.h>
#include <openssl/sha.h>

#define TICKET 32
#define BLOCK 64

static PyObject *
many(PyObject *self, PyObject *args)
{
    Py_buffer seed, prefix, joined;
    Py_ssize_t count;
    if (!PyArg_ParseTuple(args, "y*y*y*n", &seed, &prefix, &joined, &count))
        return NULL;
    PyObject *out = NULL;
    if (count < 0) {
        PyErr_SetString(PyExc_ValueError, "count must not be negative");
        goto done;
    }
    /* count keys need count - 1 separators; an empty buffer holds one empty key */
    const unsigned char *p = joined.buf, *end = p + joined.len;
    Py_ssize_t seps = 0;
    for (const unsigned char *q = p; (q = memchr(q, 0, end - q)) != NULL; q++)
        seps++;
    if (count == 0 ? joined.len != 0 : seps != count - 1) {
        PyErr_SetString(PyExc_ValueError, "NUL is not allowed in a ticket key");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, count * TICKET);
    if (out == NULL)
        goto done;
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);

    unsigned char block[BLOCK] = {0}, pad[BLOCK];
    if (seed.len > BLOCK)
        SHA256(seed.buf, seed.len, block);
    else
        memcpy(block, seed.buf, seed.len);
    SHA256_CTX inner, outer, ctx;
    for (int i = 0; i < BLOCK; i++)
        pad[i] = block[i] ^ 0x36;
    SHA256_Init(&inner);
    SHA256_Update(&inner, pad, BLOCK);
    SHA256_Update(&inner, prefix.buf, prefix.len);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&outer);
    SHA256_Update(&outer, pad, BLOCK);

    Py_BEGIN_ALLOW_THREADS
    unsigned char digest[TICKET];
    for (Py_ssize_t i = 0; i < count; i++) {
        const unsigned char *stop = memchr(p, 0, end - p);
        if (stop == NULL)
            stop = end;
        ctx = inner;
        SHA256_Update(&ctx, p, stop - p);
        SHA256_Final(digest, &ctx);
        ctx = outer;
        SHA256_Update(&ctx, digest, TICKET);
        SHA256_Final(dst + i * TICKET, &ctx);
        p = stop + 1;
    }
    Py_END_ALLOW_THREADS

done:
    PyBuffer_Release(&seed);
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&joined);
    return out;
}

static PyObject *
below(PyObject *self, PyObject *args)
{
    Py_buffer tickets;
    PyObject *where_of, *bounds;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "y*O!nO!", &tickets, &PyList_Type, &where_of, &start, &PyDict_Type, &bounds))
        return NULL;
    PyObject *out = NULL;
    Py_ssize_t n = tickets.len / TICKET;
    if (tickets.len % TICKET != 0 || start < 0 || start > PyList_GET_SIZE(where_of)
        || n > PyList_GET_SIZE(where_of) - start) {
        PyErr_SetString(PyExc_ValueError, "tickets and where_of do not match");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, n);
    if (out == NULL)
        goto done;
    unsigned char *flags = (unsigned char *)PyBytes_AS_STRING(out);
    const unsigned char *t = tickets.buf;
    PyObject *last_where = NULL, *last_bound = NULL;
    for (Py_ssize_t i = 0; i < n; i++, t += TICKET) {
        PyObject *where = PyList_GET_ITEM(where_of, start + i), *bound;
        if (where == last_where) { /* runs of one profile are common: skip the look-up */
            bound = last_bound;
        } else {
            bound = PyDict_GetItemWithError(bounds, where);
            if (bound == NULL) {
                if (!PyErr_Occurred())
                    PyErr_SetObject(PyExc_KeyError, where);
                Py_CLEAR(out);
                goto done;
            }
            if (!PyBytes_Check(bound) || (PyBytes_GET_SIZE(bound) != 0 && PyBytes_GET_SIZE(bound) != TICKET)) {
                PyErr_SetString(PyExc_TypeError, "a bound is b\"\" or 32 bytes");
                Py_CLEAR(out);
                goto done;
            }
            last_where = where, last_bound = bound;
        }
        flags[i] = PyBytes_GET_SIZE(bound) != 0 && memcmp(t, PyBytes_AS_STRING(bound), TICKET) < 0;
    }

done:
    PyBuffer_Release(&tickets);
    return out;
}

static PyMethodDef methods[] = {
    {"many", many, METH_VARARGS, "many(seed, prefix, joined, count) -> the HMAC-SHA256 tickets of the joined keys"},
    {"below", below, METH_VARARGS, "below(tickets, where_of, start, bounds) -> per ticket 1 if below its bound"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ticketc", "HMAC-SHA256 tickets in bulk (OpenSSL); same bytes as dsr.core.tickets.", -1,
    methods,
};

PyMODINIT_FUNC
PyInit__ticketc(void)
{
    return PyModule_Create(&module);
}
