/* The searches of pagecheck's explicit engine, in C.

   `native.py` writes, above this text, the spec's step function over packed states of
   W 64-bit words (the bit layout of packed.py, least significant word first):

     #define W ...            words per state
     #define MAX_OUT ...      most successors and violating moves of one expansion,
                              merged local steps included
     STEP_ARGS                const uint64_t *s, uint64_t *out, int32_t *mv,
                              int *nout, int32_t *bad, int *nbad: the
                              successors, the move each comes from, and the
                              violating moves
     MERGED_ARGS              STEP_ARGS with uint16_t *wout after nout and
                              uint16_t *wbad after nbad: the steps each stands for
     static int expand(STEP_ARGS);     every move; 0, or 1 when an integer overflows
     static int group(int g, STEP_ARGS);  the moves of one group of reduction.py
     static int merged(MERGED_ARGS);   `expand` with local steps merged
     static const uint64_t CONTROL[W]; the bits of every thread's status and counter
     static int host(STEP_ARGS);       the host's moves
     THREADS, MOVES                    how many threads and moves
     PCS[t], GROUP_BASE[t]             thread t's counters, and the group number
                                       of its first (reduction.move_groups)
     static int thread_pc(int t, const uint64_t *s);  t's counter, or -1
     static int run_thread(int t, int pc, STEP_ARGS); t's moves at counter pc
     static int conjunct(int k, const uint64_t *s);   native.conjunct_terms[k]
     static int cycle_holds(int k, const uint64_t *s); the condition of
                                                      liveness property k
     static int never_at(const uint64_t *s);  first `never` that holds, or -1
     static int running(const uint64_t *s);   some thread is running
     static void canon(uint64_t *s);          its orbit's representative, in place

   Everything here is the bookkeeping of engines/explicit.py's three searches, done
   the same way, so that a state gets the index, parent link and position it gets
   there: the breadth-first search (`_Search.layer`), the partial-order-reduced one
   (`_reduced`) and the one over merged local steps in order of distance
   (`_weighted`); of coverage.py's search for what the runs never did; and of
   liveness.py's graph and its strongly connected components. A state is stored
   once, at the next index, in chunks that never move; an open-addressing table of
   indices finds it. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { FOUND_MOVE = 0, FOUND_NEVER = 1, FOUND_DEADLOCK = 2 };
enum { OK = 0, OVERFLOW = -1, NO_MEMORY = -2, NEED_CANDIDATES = -3 };

#define CHUNK_BITS 14
#define CHUNK ((size_t)1 << CHUNK_BITS)
#define FOUND_SIZE 5
#define EXPANDED 0x80000000u

typedef struct {
    uint32_t *items;
    size_t n, cap;
} Bucket;

/* liveness.py's graph: per state (by index) where its edges start, the guest
   threads enabled in it (a bit each), its depth, the state and the edge it was first
   reached by, and whether it was expanded; per edge its target and actor. */
typedef struct Graph {
    uint64_t *first;
    uint32_t *target;
    int32_t *actor;
    uint64_t *enabled;
    uint32_t *depth, *parent, *via;
    uint8_t *closed;
    size_t capfirst, capedges, capstates, nedges;
    long bound;
    size_t next; /* the next state to expand */
    uint32_t *best; /* the component `pc_graph_fair` chose */
    size_t nbest;
} Graph;

/* What coverage.py measures, as it gives it (`pc_cover_start`): `plan` holds
   `need, ids, conjuncts, groups`, then per move `waits, n, target ids..., n,
   twins...`, then per group (each thread counter of reduction.move_groups, then
   the host) `n, the moves waiting there in order...`, then the conjunct numbers
   of `conjunct`. */
typedef struct Cover {
    int32_t *plan;
    int32_t *at; /* per move, then per group: where it starts in `plan` */
    uint8_t *marks;
    uint8_t *waiting, *fired, *covered, *held;
    int32_t need, ids, nconj, ngroups;
    const int32_t *conj;
    long ncovered, nheld, bound, depth;
    int closed;
    uint32_t *stack;
    size_t nstack, capstack;
} Cover;

typedef struct {
    int never_on, deadlock_on;
    /* the stored states by index, CHUNK to a block */
    uint64_t **chunks;
    size_t nchunks, capchunks, count;
    /* per slot: (high half of the state's hash << 32) | (index + 1); 0: empty */
    uint64_t *table;
    size_t tcap;
    uint32_t *parent;
    uint16_t *position;
    size_t caplinks;
    uint64_t transitions;
    /* violations: kind, parent index, move or position, position, steps */
    int32_t *found;
    size_t nfound, capfound;
    /* breadth-first layers: indices [first, end), `done` of them expanded */
    size_t first, end, done;
    /* partial order: candidates per control vector (`Stubborn.candidates`), each
       list `n, then per candidate: visible, groups, group...`, learnt from Python */
    uint64_t *ctl_keys;
    int32_t *ctl_at;
    size_t ctl_cap, ctl_count;
    int32_t *lists;
    size_t nlists, caplists;
    uint64_t missing[W];
    /* merged local steps: distance per index (EXPANDED once expanded) and the
       indices to expand at each distance */
    uint32_t *dist;
    size_t capdist;
    Bucket *buckets;
    long bound;
    size_t queued;
    uint32_t deepest;
    int beyond;
    uint64_t *over; /* states first met beyond the bound */
    size_t nover, capover;
    struct Cover *cover;
    struct Graph *graph;
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

static uint64_t *at(const Search *x, size_t i) {
    return x->chunks[i >> CHUNK_BITS] + (i & (CHUNK - 1)) * W;
}

/* The index of `s` (hash `h`), or -1. */
static long find(const Search *x, const uint64_t *s, uint64_t h) {
    if (!x->tcap) return -1;
    uint64_t tag = h >> 32;
    size_t j = h & (x->tcap - 1);
    for (uint64_t e; (e = x->table[j]) != 0; j = (j + 1) & (x->tcap - 1)) {
        if (e >> 32 != tag) continue;
        size_t i = (size_t)(uint32_t)e - 1;
        if (memcmp(at(x, i), s, W * sizeof(uint64_t)) == 0) return (long)i;
    }
    return -1;
}

static void place(uint64_t *table, size_t cap, uint64_t h, size_t i) {
    size_t j = h & (cap - 1);
    while (table[j]) j = (j + 1) & (cap - 1);
    table[j] = (h >> 32) << 32 | (uint64_t)(i + 1);
}

static int rehash(Search *x) {
    size_t n = x->tcap ? x->tcap * 2 : 4096;
    uint64_t *table = calloc(n, sizeof(uint64_t));
    if (!table) return 0;
    for (size_t i = 0; i < x->count; i++) place(table, n, hash_state(at(x, i)), i);
    free(x->table);
    x->table = table;
    x->tcap = n;
    return 1;
}

/* Store `s` (hash `h`, not stored yet), reached from `parent` as its successor
   number `j`: its index, or -1 when out of memory. */
static long add(Search *x, const uint64_t *s, uint64_t h, size_t parent, int j) {
    size_t i = x->count;
    if (i >= UINT32_MAX - 1) return -1;
    if ((i + 1) * 4 > x->tcap * 3 && !rehash(x)) return -1;
    if (i == x->nchunks * CHUNK) {
        if (!grow((void **)&x->chunks, &x->capchunks, x->nchunks + 1, sizeof(void *)))
            return -1;
        uint64_t *block = malloc(CHUNK * W * sizeof(uint64_t));
        if (!block) return -1;
        x->chunks[x->nchunks++] = block;
    }
    if (i == x->caplinks) {
        size_t n = x->caplinks ? x->caplinks * 2 : 1024;
        uint32_t *parent_links = realloc(x->parent, n * sizeof(uint32_t));
        if (!parent_links) return -1;
        x->parent = parent_links;
        uint16_t *positions = realloc(x->position, n * sizeof(uint16_t));
        if (!positions) return -1;
        x->position = positions;
        x->caplinks = n;
    }
    memcpy(at(x, i), s, W * sizeof(uint64_t));
    x->parent[i] = (uint32_t)parent;
    x->position[i] = (uint16_t)j;
    place(x->table, x->tcap, h, i);
    x->count++;
    return (long)i;
}

static int note(Search *x, int32_t kind, size_t index, int32_t what, int32_t j,
                int32_t steps) {
    if (!grow((void **)&x->found, &x->capfound, FOUND_SIZE * (x->nfound + 1),
              sizeof(int32_t)))
        return 0;
    int32_t *f = x->found + FOUND_SIZE * x->nfound++;
    f[0] = kind;
    f[1] = (int32_t)index;
    f[2] = what;
    f[3] = j;
    f[4] = steps;
    return 1;
}

/* 1 when a thread runs and no move is enabled at `t`, 0 when not, OVERFLOW. */
static int deadlocked(const uint64_t *t) {
    if (!running(t)) return 0;
    uint64_t out[MAX_OUT * W];
    int32_t bad[MAX_OUT], mv[MAX_OUT];
    int nout = 0, nbad = 0;
    if (expand(t, out, mv, &nout, bad, &nbad)) return OVERFLOW;
    return nout == 0 && nbad == 0;
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
    for (size_t k = 0; k < x->nchunks; k++) free(x->chunks[k]);
    free(x->chunks);
    free(x->table);
    free(x->parent);
    free(x->position);
    free(x->found);
    free(x->ctl_keys);
    free(x->ctl_at);
    free(x->lists);
    free(x->dist);
    if (x->buckets)
        for (long w = 0; w <= x->bound; w++) free(x->buckets[w].items);
    free(x->buckets);
    free(x->over);
    if (x->graph) {
        Graph *g = x->graph;
        free(g->first);
        free(g->target);
        free(g->actor);
        free(g->enabled);
        free(g->depth);
        free(g->parent);
        free(g->via);
        free(g->closed);
        free(g->best);
        free(g);
    }
    if (x->cover) {
        free(x->cover->plan);
        free(x->cover->at);
        free(x->cover->marks);
        free(x->cover->stack);
        free(x->cover);
    }
    free(x);
}

int pc_start(void *p, const uint64_t *s0) {
    Search *x = p;
    if (add(x, s0, hash_state(s0), 0, 0) < 0) return NO_MEMORY;
    x->first = 0;
    x->end = 1;
    return OK;
}

/* ---------------------------------------------------------------- breadth-first */

/* Expand up to `most` more states of the current layer. With `beyond` (the layer
   lies past the bound), stop at the first new state or violation. The number of
   states expanded, or OVERFLOW / NO_MEMORY. */
long pc_expand(void *p, long most, int beyond) {
    Search *x = p;
    uint64_t out[MAX_OUT * W];
    int32_t bad[MAX_OUT], mv[MAX_OUT];
    long k = 0;
    while (k < most && x->first + x->done < x->end) {
        size_t index = x->first + x->done;
        const uint64_t *s = at(x, index);
        int nout = 0, nbad = 0;
        if (expand(s, out, mv, &nout, bad, &nbad)) return OVERFLOW;
        x->done++;
        k++;
        x->transitions += (uint64_t)(nout + nbad);
        for (int j = 0; j < nout; j++) canon(out + j * W);
        for (int b = 0; b < nbad; b++)
            if (!note(x, FOUND_MOVE, index, bad[b], b, 1)) return NO_MEMORY;
        for (int j = 0; j < nout; j++) {
            const uint64_t *t = out + j * W;
            uint64_t h = hash_state(t);
            if (find(x, t, h) >= 0) continue;
            if (x->never_on && never_at(t) >= 0) {
                if (!note(x, FOUND_NEVER, index, j, j, 1)) return NO_MEMORY;
                continue;
            }
            if (x->deadlock_on) {
                int stuck = deadlocked(t);
                if (stuck == OVERFLOW) return OVERFLOW;
                if (stuck) {
                    if (!note(x, FOUND_DEADLOCK, index, j, j, 1)) return NO_MEMORY;
                    continue;
                }
            }
            if (add(x, t, h, index, j) < 0) return NO_MEMORY;
        }
        if (beyond && (x->nfound || x->count > x->end)) break;
    }
    return k;
}

/* The next layer becomes the current one; its size. */
long pc_advance(void *p) {
    Search *x = p;
    x->first = x->end;
    x->end = x->count;
    x->done = 0;
    x->nfound = 0;
    return (long)(x->end - x->first);
}

long pc_layer_left(void *p) {
    Search *x = p;
    return (long)(x->end - x->first - x->done);
}

long pc_next_size(void *p) {
    Search *x = p;
    return (long)(x->count - x->end);
}

/* ---------------------------------------------------------------- partial order */

/* The candidate list learnt for the control vector of `s`, or NULL (then `missing`
   holds that vector, for Python to compute). */
static const int32_t *candidates(Search *x, const uint64_t *s) {
    uint64_t key[W];
    for (int k = 0; k < W; k++) key[k] = s[k] & CONTROL[k];
    if (x->ctl_cap) {
        size_t j = hash_state(key) & (x->ctl_cap - 1);
        for (; x->ctl_at[j]; j = (j + 1) & (x->ctl_cap - 1))
            if (memcmp(x->ctl_keys + j * W, key, W * sizeof(uint64_t)) == 0)
                return x->lists + x->ctl_at[j] - 1;
    }
    memcpy(x->missing, key, W * sizeof(uint64_t));
    return NULL;
}

void pc_missing(void *p, uint64_t *out) {
    memcpy(out, ((Search *)p)->missing, W * sizeof(uint64_t));
}

/* Learn the candidate list of the missing control vector. */
int pc_learn(void *p, const int32_t *list, long n) {
    Search *x = p;
    if ((x->ctl_count + 1) * 2 > x->ctl_cap) {
        size_t cap = x->ctl_cap ? x->ctl_cap * 2 : 256;
        uint64_t *keys = malloc(cap * W * sizeof(uint64_t));
        int32_t *where = calloc(cap, sizeof(int32_t));
        if (!keys || !where) {
            free(keys);
            free(where);
            return NO_MEMORY;
        }
        for (size_t i = 0; i < x->ctl_cap; i++) {
            if (!x->ctl_at[i]) continue;
            size_t j = hash_state(x->ctl_keys + i * W) & (cap - 1);
            while (where[j]) j = (j + 1) & (cap - 1);
            where[j] = x->ctl_at[i];
            memcpy(keys + j * W, x->ctl_keys + i * W, W * sizeof(uint64_t));
        }
        free(x->ctl_keys);
        free(x->ctl_at);
        x->ctl_keys = keys;
        x->ctl_at = where;
        x->ctl_cap = cap;
    }
    if (!grow((void **)&x->lists, &x->caplists, x->nlists + (size_t)n, sizeof(int32_t)))
        return NO_MEMORY;
    memcpy(x->lists + x->nlists, list, (size_t)n * sizeof(int32_t));
    size_t j = hash_state(x->missing) & (x->ctl_cap - 1);
    while (x->ctl_at[j]) j = (j + 1) & (x->ctl_cap - 1);
    x->ctl_at[j] = (int32_t)(x->nlists + 1);
    memcpy(x->ctl_keys + j * W, x->missing, W * sizeof(uint64_t));
    x->nlists += (size_t)n;
    x->ctl_count++;
    return OK;
}

static int holds(const uint64_t *out, int nout, const uint64_t *s) {
    for (int j = 0; j < nout; j++)
        if (memcmp(out + j * W, s, W * sizeof(uint64_t)) == 0) return 1;
    return 0;
}

/* Expand up to `most` more states of the current layer with the first candidate
   that is invisible, and either ends in a violation or leaves the state (C3: under
   `run_bound`, the only cycles are self-loops), else with every move. Stops at the
   first violation (`found`), and with NEED_CANDIDATES where a control vector's
   candidates are not learnt yet. */
long pc_por_expand(void *p, long most) {
    Search *x = p;
    uint64_t out[MAX_OUT * W];
    int32_t bad[MAX_OUT], mv[MAX_OUT];
    long k = 0;
    while (k < most && x->first + x->done < x->end) {
        size_t index = x->first + x->done;
        const uint64_t *s = at(x, index);
        const int32_t *list = candidates(x, s);
        if (!list) return NEED_CANDIDATES;
        int nout = 0, nbad = 0, taken = 0;
        const int32_t *c = list + 1;
        for (int32_t n = 0; n < list[0] && !taken; n++, c += 2 + c[1]) {
            if (c[0]) continue;
            for (int32_t g = 0; g < c[1]; g++)
                if (group(c[2 + g], s, out, mv, &nout, bad, &nbad)) return OVERFLOW;
            if (nbad || (nout && !holds(out, nout, s)))
                taken = 1;
            else
                nout = 0;
        }
        if (!taken && expand(s, out, mv, &nout, bad, &nbad)) return OVERFLOW;
        x->done++;
        k++;
        x->transitions += (uint64_t)(nout + nbad);
        if (nbad) return note(x, FOUND_MOVE, index, bad[0], 0, 1) ? k : NO_MEMORY;
        for (int j = 0; j < nout; j++) {
            const uint64_t *t = out + j * W;
            uint64_t h = hash_state(t);
            if (find(x, t, h) >= 0) continue;
            int stuck = x->deadlock_on ? deadlocked(t) : 0;
            if (stuck == OVERFLOW) return OVERFLOW;
            if ((x->never_on && never_at(t) >= 0) || stuck)
                return note(x, stuck ? FOUND_DEADLOCK : FOUND_NEVER, index, j, j, 1)
                           ? k
                           : NO_MEMORY;
            if (add(x, t, h, index, j) < 0) return NO_MEMORY;
        }
    }
    return k;
}

/* ------------------------------------------------------- merged local steps */

static int push(Search *x, uint32_t w, size_t index) {
    Bucket *b = &x->buckets[w];
    if (!grow((void **)&b->items, &b->cap, b->n + 1, sizeof(uint32_t))) return 0;
    b->items[b->n++] = (uint32_t)index;
    x->queued++;
    return 1;
}

static int set_dist(Search *x, size_t index, uint32_t w) {
    if (!grow((void **)&x->dist, &x->capdist, index + 1, sizeof(uint32_t))) return 0;
    x->dist[index] = w;
    return 1;
}

int pc_w_start(void *p, const uint64_t *s0, long bound) {
    Search *x = p;
    x->bound = bound;
    x->buckets = calloc((size_t)bound + 1, sizeof(Bucket));
    if (!x->buckets || pc_start(p, s0) != OK) return NO_MEMORY;
    return set_dist(x, 0, 0) && push(x, 0, 0) ? OK : NO_MEMORY;
}

/* Expand up to `most` more states of the ones at distance `w`, each by every move
   with local steps merged: a successor that stands for k steps lies at w + k. A
   stored state not yet expanded that this reaches sooner moves to the nearer
   distance, with the new link. */
long pc_w_expand(void *p, long w, long most) {
    Search *x = p;
    Bucket *b = &x->buckets[w];
    uint64_t out[MAX_OUT * W];
    int32_t bad[MAX_OUT], mv[MAX_OUT];
    uint16_t wout[MAX_OUT], wbad[MAX_OUT];
    long k = 0;
    while (k < most && x->done < b->n) {
        size_t index = b->items[x->done++];
        k++;
        if (x->dist[index] != (uint32_t)w) continue;
        x->dist[index] |= EXPANDED;
        const uint64_t *s = at(x, index);
        int nout = 0, nbad = 0;
        if (merged(s, out, mv, &nout, wout, bad, &nbad, wbad)) return OVERFLOW;
        x->transitions += (uint64_t)(nout + nbad);
        for (int j = 0; j < nbad; j++) {
            long v = w + wbad[j];
            if (v > x->bound)
                x->beyond = 1;
            else if (!note(x, FOUND_MOVE, index, bad[j], j, (int32_t)v))
                return NO_MEMORY;
        }
        for (int j = 0; j < nout; j++) {
            uint64_t *t = out + j * W;
            uint32_t v = (uint32_t)(w + wout[j]);
            canon(t);
            uint64_t h = hash_state(t);
            long i = find(x, t, h);
            if (i >= 0) {
                if (!(x->dist[i] & EXPANDED) && v < x->dist[i]) {
                    x->parent[i] = (uint32_t)index;
                    x->position[i] = (uint16_t)j;
                    x->dist[i] = v;
                    if (!push(x, v, (size_t)i)) return NO_MEMORY;
                }
                continue;
            }
            if ((long)v > x->bound) {
                if (!grow((void **)&x->over, &x->capover, (x->nover + 1) * W,
                          sizeof(uint64_t)))
                    return NO_MEMORY;
                memcpy(x->over + x->nover++ * W, t, W * sizeof(uint64_t));
                continue;
            }
            if (x->never_on && never_at(t) >= 0) {
                if (!note(x, FOUND_NEVER, index, j, j, (int32_t)v)) return NO_MEMORY;
                continue;
            }
            i = add(x, t, h, index, j);
            if (i < 0 || !set_dist(x, (size_t)i, v) || !push(x, v, (size_t)i))
                return NO_MEMORY;
            if (v > x->deepest) x->deepest = v;
        }
    }
    return k;
}

long pc_w_left(void *p, long w) {
    Search *x = p;
    return (long)(x->buckets[w].n - x->done);
}

/* Done with distance `w`. */
void pc_w_finish(void *p, long w) {
    Search *x = p;
    Bucket *b = &x->buckets[w];
    x->queued -= b->n;
    free(b->items);
    b->items = NULL;
    b->n = b->cap = 0;
    x->done = 0;
}

long pc_w_queued(void *p) { return (long)((Search *)p)->queued; }
long pc_w_deepest(void *p) { return (long)((Search *)p)->deepest; }
int pc_w_beyond(void *p) { return ((Search *)p)->beyond; }

/* How many states first met beyond the bound were never stored. */
long pc_w_over_unseen(void *p) {
    Search *x = p;
    long n = 0;
    for (size_t k = 0; k < x->nover; k++) {
        const uint64_t *t = x->over + k * W;
        if (find(x, t, hash_state(t)) < 0) n++;
    }
    return n;
}

/* ---------------------------------------------------------------- coverage */

int pc_cover_start(void *p, const uint64_t *s0, const int32_t *plan, long n,
                   int closed, long bound) {
    Search *x = p;
    Cover *c = calloc(1, sizeof(Cover));
    if (!c) return NO_MEMORY;
    x->cover = c;
    c->plan = malloc((size_t)n * sizeof(int32_t));
    if (!c->plan) return NO_MEMORY;
    memcpy(c->plan, plan, (size_t)n * sizeof(int32_t));
    c->need = plan[0];
    c->ids = plan[1];
    c->nconj = plan[2];
    c->ngroups = plan[3];
    c->at = malloc((size_t)(MOVES + c->ngroups + 1) * sizeof(int32_t));
    c->marks = calloc((size_t)(2 * MOVES + c->ids + c->nconj + 1), 1);
    if (!c->at || !c->marks) return NO_MEMORY;
    c->waiting = c->marks;
    c->fired = c->waiting + MOVES;
    c->covered = c->fired + MOVES;
    c->held = c->covered + c->ids;
    int32_t k = 4;
    for (int m = 0; m < MOVES; m++) {
        c->at[m] = k;
        c->waiting[m] = (uint8_t)plan[k];
        k += 1;
        k += 1 + plan[k];
        k += 1 + plan[k];
    }
    for (int g = 0; g < c->ngroups; g++) {
        c->at[MOVES + g] = k;
        k += 1 + plan[k];
    }
    c->conj = c->plan + k;
    c->closed = closed;
    c->bound = bound;
    uint64_t t[W];
    memcpy(t, s0, W * sizeof(uint64_t));
    canon(t);
    if (add(x, t, hash_state(t), 0, 0) < 0) return NO_MEMORY;
    x->first = 0;
    x->end = 1;
    if (closed) {
        if (!grow((void **)&c->stack, &c->capstack, 1, sizeof(uint32_t)))
            return NO_MEMORY;
        c->stack[c->nstack++] = 0;
    }
    return OK;
}

static const int32_t *targets_of(const Cover *c, int m) {
    return c->plan + c->at[m] + 1;
}

/* Fire move m and its twins: what they cover is covered. */
static void fire(Cover *c, int m) {
    const int32_t *t = targets_of(c, m);
    const int32_t *twins = t + 1 + t[0];
    for (int32_t i = -1; i < twins[0]; i++) {
        int x = i < 0 ? m : twins[1 + i];
        const int32_t *tx = targets_of(c, x);
        c->fired[x] = 1;
        for (int32_t j = 0; j < tx[0]; j++)
            if (!c->covered[tx[1 + j]]) {
                c->covered[tx[1 + j]] = 1;
                c->ncovered++;
            }
    }
}

/* The moves waiting in group g, in order: one whose targets are all covered waits
   no more; one that is among the `n` enabled moves `on` fires. */
static void fire_group(Cover *c, int g, const int32_t *on, int n) {
    const int32_t *list = c->plan + c->at[MOVES + g];
    for (int32_t i = 0; i < list[0]; i++) {
        int m = list[1 + i];
        if (!c->waiting[m]) continue;
        const int32_t *t = targets_of(c, m);
        int all = 1;
        for (int32_t j = 0; j < t[0] && all; j++) all = c->covered[t[1 + j]];
        if (all) {
            c->waiting[m] = 0;
            continue;
        }
        for (int j = 0; j < n; j++)
            if (on[j] == m) {
                fire(c, m);
                c->waiting[m] = 0;
                break;
            }
    }
}

/* Record what the state at `index` enables and which conjuncts hold there; with
   `expand`, store its successors not seen yet. 1 when everything is covered. */
static int visit(Search *x, size_t index, int expand_it) {
    Cover *c = x->cover;
    const uint64_t *s = at(x, index);
    for (int32_t k = 0; k < c->nconj; k++)
        if (!c->held[k] && conjunct(c->conj[k], s)) {
            c->held[k] = 1;
            c->nheld++;
        }
    if (!expand_it || never_at(s) >= 0) return 0;
    uint64_t out[MAX_OUT * W];
    int32_t bad[MAX_OUT], mv[MAX_OUT];
    int nout = 0, nbad = 0;
    for (int t = 0; t < THREADS; t++) {
        int pc = thread_pc(t, s), n = nout;
        if (pc < 0) continue;
        if (run_thread(t, pc, s, out, mv, &nout, bad, &nbad)) return OVERFLOW;
        if (pc < PCS[t]) fire_group(c, GROUP_BASE[t] + pc, mv + n, nout - n);
    }
    int n = nout;
    if (host(s, out, mv, &nout, bad, &nbad)) return OVERFLOW;
    fire_group(c, c->ngroups - 1, mv + n, nout - n);
    if (c->ncovered == c->need && c->nheld == c->nconj) return 1;
    for (int j = 0; j < nout; j++) {
        uint64_t *t = out + j * W;
        canon(t);
        uint64_t h = hash_state(t);
        if (find(x, t, h) >= 0) continue;
        long i = add(x, t, h, index, j);
        if (i < 0) return NO_MEMORY;
        if (c->closed) {
            if (!grow((void **)&c->stack, &c->capstack, c->nstack + 1, sizeof(uint32_t)))
                return NO_MEMORY;
            c->stack[c->nstack++] = (uint32_t)i;
        }
    }
    return 0;
}

/* Visit up to `most` states, breadth first to the bound, or depth first when the
   check closed (as coverage.py does): 1 when done (everything covered, or no state
   left), 0 when there is more, or OVERFLOW / NO_MEMORY. */
long pc_cover_run(void *p, long most) {
    Search *x = p;
    Cover *c = x->cover;
    for (long k = 0; k < most; k++) {
        size_t index;
        int expand_it = 1;
        if (c->closed) {
            if (!c->nstack) return 1;
            index = c->stack[--c->nstack];
        } else {
            if (x->first + x->done == x->end) {
                if (x->count == x->end) return 1;
                x->first = x->end;
                x->end = x->count;
                x->done = 0;
                c->depth++;
            }
            index = x->first + x->done++;
            expand_it = c->depth < c->bound;
        }
        int r = visit(x, index, expand_it);
        if (r) return r;
    }
    return 0;
}

/* Which moves fired and which conjuncts held: MOVES then `conjuncts` bytes. */
void pc_cover_marks(void *p, uint8_t *out) {
    Cover *c = ((Search *)p)->cover;
    memcpy(out, c->fired, MOVES);
    memcpy(out + MOVES, c->held, (size_t)c->nconj);
}

/* ---------------------------------------------------------------- liveness */

static int graph_state(Graph *g, size_t i, uint32_t depth, size_t parent, size_t via) {
    if (i >= g->capstates) {
        size_t n = g->capstates ? g->capstates * 2 : 1024;
        uint64_t *enabled = realloc(g->enabled, n * sizeof(uint64_t));
        if (enabled) g->enabled = enabled;
        uint32_t *d = realloc(g->depth, n * sizeof(uint32_t));
        if (d) g->depth = d;
        uint32_t *pa = realloc(g->parent, n * sizeof(uint32_t));
        if (pa) g->parent = pa;
        uint32_t *v = realloc(g->via, n * sizeof(uint32_t));
        if (v) g->via = v;
        uint8_t *c = realloc(g->closed, n);
        if (c) g->closed = c;
        if (!enabled || !d || !pa || !v || !c) return 0;
        g->capstates = n;
    }
    g->enabled[i] = 0;
    g->depth[i] = depth;
    g->parent[i] = (uint32_t)parent;
    g->via[i] = (uint32_t)via;
    g->closed[i] = 0;
    return 1;
}

int pc_graph_start(void *p, const uint64_t *s0, long bound) {
    Search *x = p;
    Graph *g = calloc(1, sizeof(Graph));
    if (!g) return NO_MEMORY;
    x->graph = g;
    g->bound = bound;
    if (add(x, s0, hash_state(s0), 0, 0) < 0 || !graph_state(g, 0, 0, 0, 0))
        return NO_MEMORY;
    return OK;
}

/* Expand up to `most` more states, breadth first, as liveness.py's `_Graph` does:
   each running thread's moves, then the host's, the violating ones left out of the
   edges. 1 when every state is expanded, 0 when there is more, or an error. */
long pc_graph_run(void *p, long most) {
    Search *x = p;
    Graph *g = x->graph;
    uint64_t out[MAX_OUT * W];
    int32_t bad[MAX_OUT], mv[MAX_OUT], who[MAX_OUT];
    for (long k = 0; k < most; k++) {
        if (g->next == x->count) {
            if (!grow((void **)&g->first, &g->capfirst, x->count + 1, sizeof(uint64_t)))
                return NO_MEMORY;
            g->first[x->count] = g->nedges;
            return 1;
        }
        size_t i = g->next++;
        if (!grow((void **)&g->first, &g->capfirst, i + 1, sizeof(uint64_t)))
            return NO_MEMORY;
        g->first[i] = g->nedges;
        if ((long)g->depth[i] >= g->bound) continue;
        const uint64_t *s = at(x, i);
        int nout = 0, nbad = 0;
        for (int t = 0; t < THREADS; t++) {
            int pc = thread_pc(t, s), n = nout, nb = nbad;
            if (pc < 0) continue;
            if (run_thread(t, pc, s, out, mv, &nout, bad, &nbad)) return OVERFLOW;
            if (nout > n || nbad > nb) g->enabled[i] |= (uint64_t)1 << t;
            for (int j = n; j < nout; j++) who[j] = t;
        }
        int n = nout;
        if (host(s, out, mv, &nout, bad, &nbad)) return OVERFLOW;
        for (int j = n; j < nout; j++) who[j] = -1;
        g->closed[i] = 1;
        size_t before = g->capedges;
        if (!grow((void **)&g->target, &g->capedges, g->nedges + (size_t)nout,
                  sizeof(uint32_t)))
            return NO_MEMORY;
        if (g->capedges != before) {
            int32_t *actor = realloc(g->actor, g->capedges * sizeof(int32_t));
            if (!actor) return NO_MEMORY;
            g->actor = actor;
        }
        for (int j = 0; j < nout; j++) {
            const uint64_t *t = out + j * W;
            uint64_t h = hash_state(t);
            long found = find(x, t, h);
            if (found < 0) {
                found = add(x, t, h, i, j);
                if (found < 0 ||
                    !graph_state(g, (size_t)found, g->depth[i] + 1, i, g->nedges))
                    return NO_MEMORY;
            }
            g->target[g->nedges] = (uint32_t)found;
            g->actor[g->nedges] = who[j];
            g->nedges++;
        }
    }
    return 0;
}

long pc_graph_edges(void *p) { return (long)((Search *)p)->graph->nedges; }

/* The graph's arrays, for Python: `first` has one more entry than there are states. */
void pc_graph_copy(void *p, uint64_t *first, uint32_t *target, int32_t *actor,
                   uint64_t *enabled, uint32_t *depth, uint32_t *parent, uint32_t *via,
                   uint8_t *closed) {
    Search *x = p;
    Graph *g = x->graph;
    size_t n = x->count;
    memcpy(first, g->first, (n + 1) * sizeof(uint64_t));
    memcpy(target, g->target, g->nedges * sizeof(uint32_t));
    memcpy(actor, g->actor, g->nedges * sizeof(int32_t));
    memcpy(enabled, g->enabled, n * sizeof(uint64_t));
    memcpy(depth, g->depth, n * sizeof(uint32_t));
    memcpy(parent, g->parent, n * sizeof(uint32_t));
    memcpy(via, g->via, n * sizeof(uint32_t));
    memcpy(closed, g->closed, n);
}

typedef struct {
    uint32_t v;
    uint64_t e;
} Frame;

/* Of the strongly connected components of the expanded states where condition k
   holds, found by Tarjan's algorithm as liveness.py's `_tarjan` finds them, the
   first fair one (every guest thread of `guests` disabled in one of its states or
   stepping inside it) whose shallowest state is shallowest: its size, or 0 when
   none is fair (`pc_graph_members` copies it, in the order it was popped), or
   NO_MEMORY. */
long pc_graph_fair(void *p, int k, uint64_t guests) {
    Search *x = p;
    Graph *g = x->graph;
    size_t n = x->count;
    long result = NO_MEMORY;
    uint8_t *inside = malloc(n), *flags = calloc(n, 1);
    int32_t *number = malloc(n * sizeof(int32_t)), *low = malloc(n * sizeof(int32_t));
    uint32_t *stack = malloc(n * sizeof(uint32_t)), *component = NULL;
    Frame *work = NULL;
    size_t capwork = 0, nwork, nstack = 0, ncomp, capcomp = 0;
    uint32_t shallowest = UINT32_MAX;
    int32_t next = 0;
    enum { ON_STACK = 1, MEMBER = 2 };
    if (!inside || !flags || !number || !low || !stack) goto done;
    for (size_t i = 0; i < n; i++) {
        inside[i] = g->closed[i] && cycle_holds(k, at(x, i));
        number[i] = -1;
    }
    g->nbest = 0;
    for (size_t root = 0; root < n; root++) {
        if (!inside[root] || number[root] >= 0) continue;
        if (!grow((void **)&work, &capwork, 1, sizeof(Frame))) goto done;
        work[0].v = (uint32_t)root;
        work[0].e = g->first[root];
        nwork = 1;
        while (nwork) {
            Frame f = work[--nwork];
            uint32_t v = f.v;
            uint64_t e = f.e;
            if (e == g->first[v] && number[v] < 0) {
                number[v] = low[v] = next++;
                stack[nstack++] = v;
                flags[v] |= ON_STACK;
            }
            uint64_t end = g->first[v + 1];
            while (e < end && !inside[g->target[e]]) e++;
            if (e < end) {
                uint32_t w = g->target[e];
                if (!grow((void **)&work, &capwork, nwork + 2, sizeof(Frame))) goto done;
                work[nwork].v = v;
                work[nwork++].e = e + 1;
                if (number[w] < 0) {
                    work[nwork].v = w;
                    work[nwork++].e = g->first[w];
                } else if ((flags[w] & ON_STACK) && number[w] < low[v]) {
                    low[v] = number[w];
                }
                continue;
            }
            if (low[v] == number[v]) {
                ncomp = 0;
                uint32_t w;
                do {
                    w = stack[--nstack];
                    flags[w] &= (uint8_t)~ON_STACK;
                    if (!grow((void **)&component, &capcomp, ncomp + 1, sizeof(uint32_t)))
                        goto done;
                    component[ncomp++] = w;
                } while (w != v);
                uint64_t waiting = guests;
                uint32_t entry = component[0];
                for (size_t i = 0; i < ncomp; i++) {
                    waiting &= g->enabled[component[i]];
                    if (g->depth[component[i]] < g->depth[entry]) entry = component[i];
                }
                if (waiting && g->depth[entry] < shallowest) {
                    for (size_t i = 0; i < ncomp; i++) flags[component[i]] |= MEMBER;
                    for (size_t i = 0; i < ncomp; i++)
                        for (uint64_t a = g->first[component[i]];
                             a < g->first[component[i] + 1]; a++)
                            if ((flags[g->target[a]] & MEMBER) && g->actor[a] >= 0)
                                waiting &= ~((uint64_t)1 << g->actor[a]);
                    for (size_t i = 0; i < ncomp; i++)
                        flags[component[i]] &= (uint8_t)~MEMBER;
                }
                if (!waiting && g->depth[entry] < shallowest) {
                    shallowest = g->depth[entry];
                    uint32_t *best = realloc(g->best, ncomp * sizeof(uint32_t));
                    if (!best) goto done;
                    g->best = best;
                    memcpy(best, component, ncomp * sizeof(uint32_t));
                    g->nbest = ncomp;
                }
            }
            if (nwork && low[v] < low[work[nwork - 1].v])
                low[work[nwork - 1].v] = low[v];
        }
    }
    result = (long)g->nbest;
done:
    free(inside);
    free(flags);
    free(number);
    free(low);
    free(stack);
    free(component);
    free(work);
    return result;
}

void pc_graph_members(void *p, uint32_t *out) {
    Graph *g = ((Search *)p)->graph;
    memcpy(out, g->best, g->nbest * sizeof(uint32_t));
}

/* ---------------------------------------------------------------- for Python */

long pc_count(void *p) { return (long)((Search *)p)->count; }
uint64_t pc_transitions(void *p) { return ((Search *)p)->transitions; }
long pc_found(void *p) { return (long)((Search *)p)->nfound; }

/* The violations from number `start` on. */
void pc_copy_found(void *p, long start, int32_t *out) {
    Search *x = p;
    memcpy(out, x->found + FOUND_SIZE * (size_t)start,
           FOUND_SIZE * (x->nfound - (size_t)start) * sizeof(int32_t));
}

/* What the search holds: the states, the table, the links and each search's own. */
uint64_t pc_bytes(void *p) {
    Search *x = p;
    uint64_t n = (uint64_t)x->nchunks * CHUNK * W * sizeof(uint64_t) +
                 (uint64_t)x->tcap * sizeof(uint64_t) +
                 (uint64_t)x->caplinks * (sizeof(uint32_t) + sizeof(uint16_t)) +
                 (uint64_t)x->capdist * sizeof(uint32_t) +
                 (uint64_t)x->capover * sizeof(uint64_t) +
                 (uint64_t)x->ctl_cap * (W * sizeof(uint64_t) + sizeof(int32_t)) +
                 (uint64_t)x->caplists * sizeof(int32_t);
    if (x->buckets)
        for (long w = 0; w <= x->bound; w++)
            n += (uint64_t)x->buckets[w].cap * sizeof(uint32_t);
    if (x->graph)
        n += (uint64_t)x->graph->capfirst * sizeof(uint64_t) +
             (uint64_t)x->graph->capedges * (sizeof(uint32_t) + sizeof(int32_t)) +
             (uint64_t)x->graph->capstates * (sizeof(uint64_t) + 3 * sizeof(uint32_t) + 1);
    return n;
}

/* Every stored state's words, by index. */
void pc_copy_states(void *p, uint64_t *out) {
    Search *x = p;
    for (size_t i = 0; i < x->count; i += CHUNK) {
        size_t n = x->count - i < CHUNK ? x->count - i : CHUNK;
        memcpy(out + i * W, x->chunks[i >> CHUNK_BITS], n * W * sizeof(uint64_t));
    }
}

void pc_copy_links(void *p, uint32_t *parent, uint16_t *position) {
    Search *x = p;
    memcpy(parent, x->parent, x->count * sizeof(uint32_t));
    memcpy(position, x->position, x->count * sizeof(uint16_t));
}
