/* The breadth-first layer of pagecheck's explicit engine, in C.

   `native.py` writes, above this text, the spec's step function over packed states of
   W 64-bit words (the bit layout of packed.py, least significant word first):

     #define W ...            words per state
     #define MAX_OUT ...      most successors and violating moves of one state
     static int expand(const uint64_t *s, uint64_t *out, int *nout,
                       int32_t *bad, int *nbad);      0, or 1 when an integer overflows
     static int never_at(const uint64_t *s);         first `never` that holds, or -1
     static int running(const uint64_t *s);          some thread is running
     static void canon(uint64_t *s);                 its orbit's representative, in
                                                     place (symmetric threads)

   Everything here is the search's bookkeeping, the same as engines/explicit.py's
   `_Search.layer`: states are stored once (an open-addressing hash set of states),
   each with the index of the state it was first reached from and its position among
   that state's successors; the states of the layer being expanded and of the next
   are kept in order, so that a stored state's index is its place in the search. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { FOUND_MOVE = 0, FOUND_NEVER = 1, FOUND_DEADLOCK = 2 };
enum { OK = 0, OVERFLOW = -1, NO_MEMORY = -2 };

typedef struct {
    uint64_t *keys; /* tcap states */
    uint8_t *used;  /* tcap flags */
    size_t tcap, tcount;
    uint64_t *front, *next; /* states of this layer and the next */
    size_t nfront, nnext, capfront, capnext;
    uint32_t *parent;
    uint16_t *position;
    size_t count, caplinks;
    size_t first; /* index of front[0] */
    size_t done;  /* states of front expanded */
    uint64_t transitions;
    int32_t *found; /* triples: kind, parent index, move or position */
    size_t nfound, capfound;
    int never_on, deadlock_on;
} Search;

static uint64_t hash_state(const uint64_t *s) {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int k = 0; k < W; k++) {
        h ^= s[k];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return h;
}

static int grow(void **p, size_t *cap, size_t need, size_t item) {
    if (need <= *cap) return 1;
    size_t n = *cap ? *cap : 1024;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * item);
    if (!q) return 0;
    *p = q;
    *cap = n;
    return 1;
}

static int rehash(Search *x) {
    size_t n = x->tcap ? x->tcap * 2 : 4096;
    uint64_t *keys = malloc(n * W * sizeof(uint64_t));
    uint8_t *used = calloc(n, 1);
    if (!keys || !used) {
        free(keys);
        free(used);
        return 0;
    }
    for (size_t i = 0; i < x->tcap; i++) {
        if (!x->used[i]) continue;
        const uint64_t *s = x->keys + i * W;
        size_t j = hash_state(s) & (n - 1);
        while (used[j]) j = (j + 1) & (n - 1);
        used[j] = 1;
        memcpy(keys + j * W, s, W * sizeof(uint64_t));
    }
    free(x->keys);
    free(x->used);
    x->keys = keys;
    x->used = used;
    x->tcap = n;
    return 1;
}

/* 1 when `s` was new (now stored), 0 when seen, -1 when out of memory. */
static int insert(Search *x, const uint64_t *s) {
    if ((x->tcount + 1) * 4 > x->tcap * 3 && !rehash(x)) return -1;
    size_t j = hash_state(s) & (x->tcap - 1);
    while (x->used[j]) {
        if (memcmp(x->keys + j * W, s, W * sizeof(uint64_t)) == 0) return 0;
        j = (j + 1) & (x->tcap - 1);
    }
    x->used[j] = 1;
    memcpy(x->keys + j * W, s, W * sizeof(uint64_t));
    x->tcount++;
    return 1;
}

static int contains(const Search *x, const uint64_t *s) {
    size_t j = hash_state(s) & (x->tcap - 1);
    while (x->used[j]) {
        if (memcmp(x->keys + j * W, s, W * sizeof(uint64_t)) == 0) return 1;
        j = (j + 1) & (x->tcap - 1);
    }
    return 0;
}

static int note(Search *x, int32_t kind, size_t index, int32_t what) {
    if (!grow((void **)&x->found, &x->capfound, 3 * (x->nfound + 1), sizeof(int32_t)))
        return 0;
    int32_t *f = x->found + 3 * x->nfound++;
    f[0] = kind;
    f[1] = (int32_t)index;
    f[2] = what;
    return 1;
}

static int link(Search *x, size_t index, int j) {
    if (x->count == x->caplinks) {
        size_t n = x->caplinks ? x->caplinks * 2 : 1024;
        uint32_t *parent = realloc(x->parent, n * sizeof(uint32_t));
        if (!parent) return 0;
        x->parent = parent;
        uint16_t *position = realloc(x->position, n * sizeof(uint16_t));
        if (!position) return 0;
        x->position = position;
        x->caplinks = n;
    }
    x->parent[x->count] = (uint32_t)index;
    x->position[x->count] = (uint16_t)j;
    x->count++;
    return 1;
}

void *pc_new(int never_on, int deadlock_on) {
    Search *x = calloc(1, sizeof(Search));
    if (x) {
        x->never_on = never_on;
        x->deadlock_on = deadlock_on;
    }
    return x;
}

void pc_free(void *p) {
    Search *x = p;
    if (!x) return;
    free(x->keys);
    free(x->used);
    free(x->front);
    free(x->next);
    free(x->parent);
    free(x->position);
    free(x->found);
    free(x);
}

int pc_start(void *p, const uint64_t *s0) {
    Search *x = p;
    if (insert(x, s0) < 0 || !link(x, 0, 0)) return NO_MEMORY;
    if (!grow((void **)&x->front, &x->capfront, W, sizeof(uint64_t))) return NO_MEMORY;
    memcpy(x->front, s0, W * sizeof(uint64_t));
    x->nfront = 1;
    return OK;
}

/* Expand up to `most` more states of the current layer. With `beyond` (the layer
   lies past the bound), stop at the first new state or violation. The number of
   states expanded, or OVERFLOW / NO_MEMORY. */
long pc_expand(void *p, long most, int beyond) {
    Search *x = p;
    uint64_t out[MAX_OUT * W];
    int32_t bad[MAX_OUT];
    long k = 0;
    while (k < most && x->done < x->nfront) {
        size_t index = x->first + x->done;
        const uint64_t *s = x->front + x->done * W;
        int nout = 0, nbad = 0;
        if (expand(s, out, &nout, bad, &nbad)) return OVERFLOW;
        x->done++;
        k++;
        x->transitions += (uint64_t)(nout + nbad);
        for (int j = 0; j < nout; j++) canon(out + j * W);
        for (int b = 0; b < nbad; b++)
            if (!note(x, FOUND_MOVE, index, bad[b])) return NO_MEMORY;
        for (int j = 0; j < nout; j++) {
            const uint64_t *t = out + j * W;
            if (contains(x, t)) continue;
            if (x->never_on && never_at(t) >= 0) {
                if (!note(x, FOUND_NEVER, index, j)) return NO_MEMORY;
                continue;
            }
            if (x->deadlock_on && running(t)) {
                uint64_t tout[MAX_OUT * W];
                int32_t tbad[MAX_OUT];
                int tn = 0, tb = 0;
                if (expand(t, tout, &tn, tbad, &tb)) return OVERFLOW;
                if (tn == 0 && tb == 0) {
                    if (!note(x, FOUND_DEADLOCK, index, j)) return NO_MEMORY;
                    continue;
                }
            }
            if (insert(x, t) < 0 || !link(x, index, j)) return NO_MEMORY;
            if (!grow((void **)&x->next, &x->capnext, (x->nnext + 1) * W,
                      sizeof(uint64_t)))
                return NO_MEMORY;
            memcpy(x->next + x->nnext * W, t, W * sizeof(uint64_t));
            x->nnext++;
        }
        if (beyond && (x->nfound || x->nnext)) break;
    }
    return k;
}

/* The next layer becomes the current one; its size. */
long pc_advance(void *p) {
    Search *x = p;
    uint64_t *t = x->front;
    size_t c = x->capfront;
    x->first += x->nfront;
    x->front = x->next;
    x->capfront = x->capnext;
    x->nfront = x->nnext;
    x->next = t;
    x->capnext = c;
    x->nnext = 0;
    x->done = 0;
    x->nfound = 0;
    return (long)x->nfront;
}

long pc_layer_left(void *p) {
    Search *x = p;
    return (long)(x->nfront - x->done);
}

long pc_next_size(void *p) { return (long)((Search *)p)->nnext; }
long pc_count(void *p) { return (long)((Search *)p)->count; }
uint64_t pc_transitions(void *p) { return ((Search *)p)->transitions; }
long pc_found(void *p) { return (long)((Search *)p)->nfound; }

void pc_copy_found(void *p, int32_t *out) {
    Search *x = p;
    memcpy(out, x->found, 3 * x->nfound * sizeof(int32_t));
}

/* What the stored states take: the hash set, both layers and the links. */
uint64_t pc_bytes(void *p) {
    Search *x = p;
    return (uint64_t)x->tcap * (W * sizeof(uint64_t) + 1) +
           (uint64_t)(x->capfront + x->capnext) * sizeof(uint64_t) +
           (uint64_t)x->caplinks * (sizeof(uint32_t) + sizeof(uint16_t));
}

void pc_copy_links(void *p, uint32_t *parent, uint16_t *position) {
    Search *x = p;
    memcpy(parent, x->parent, x->count * sizeof(uint32_t));
    memcpy(position, x->position, x->count * sizeof(uint16_t));
}
