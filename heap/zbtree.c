/*
 * zbtree.c - the ordered half of a "skiplist" sorted set: a counted B+tree
 * (layout and invariants in heap_zset.h), plus the member order and the
 * score/lex range predicates shared with the listpack code in zsetobj.c.
 * Entries borrow their member bytes from the zset dict's entries.
 *
 * A search reads one node per level; it prefetches the next node's score
 * array while it still works on the current one, and compares members
 * only where scores are equal. Inserts split full nodes (in half, or at
 * the very end when appending to either end of the order, so sorted bulk
 * loads fill nodes); deletes merge a node that fell below a quarter with a
 * sibling, or even the two out when they do not fit in one.
 */
#include "heap.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "heap_int.h"
#include "heap_zset.h"

#define LCAP HP_ZBT_LCAP
#define ICAP HP_ZBT_ICAP
#define LMIN (LCAP / 4)
#define IMIN (ICAP / 4)

_Static_assert(sizeof(hp_zbt_leaf_t) <= 1024, "a leaf fits a 1 KB block");
_Static_assert(sizeof(hp_zbt_inner_t) <= 1024, "a node fits a 1 KB block");

/* ---------------------------------------------------------------------
 * Order and range predicates
 * ------------------------------------------------------------------ */

int hp__zset_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;

    if (c) return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

int hp__zrange_gte_min(double v, const hp_zrange_t *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

int hp__zrange_lte_max(double v, const hp_zrange_t *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

/* Compare member s with a lex bound: <0, 0, >0. */
static int lex_cmp(const char *s, size_t len, const hp_zlex_bound_t *b)
{
    if (b->inf) return -b->inf;
    return hp__zset_cmp(s, len, b->s, b->len);
}

int hp__zlex_gte_min(const char *s, size_t len, const hp_zlex_t *r)
{
    int c = lex_cmp(s, len, &r->min);

    return r->min.ex && !r->min.inf ? c > 0 : c >= 0;
}

int hp__zlex_lte_max(const char *s, size_t len, const hp_zlex_t *r)
{
    int c = lex_cmp(s, len, &r->max);

    return r->max.ex && !r->max.inf ? c < 0 : c <= 0;
}

/* A search key: a score and member bytes (borrowed). */
typedef struct key {
    double score;
    const char *ele;
    size_t len;
} zkey_t;

/* Compare the member of entry e with k's: <0, 0, >0. */
static inline int ent_cmp(const hp_dict_entry_t *e, const zkey_t *k)
{
    return hp__zset_cmp(e->key, e->keylen, k->ele, k->len);
}

/* Compare (s, e) with k. */
static inline int pair_cmp(double s, const hp_dict_entry_t *e, const zkey_t *k)
{
    if (s != k->score) return s < k->score ? -1 : 1;
    return ent_cmp(e, k);
}

/* First index in a[0..n) whose score is >= s (a ascending). */
static inline unsigned lb_score(const double *a, unsigned n, double s)
{
    const double *base = a;

    if (!n) return 0;
    while (n > 1) {
        unsigned half = n / 2;

        base = base[half - 1] < s ? base + half : base;
        n -= half;
    }
    return (unsigned)(base - a) + (*base < s);
}

/* First index in a[0..n) whose score is > s. */
static inline unsigned ub_score(const double *a, unsigned n, double s)
{
    const double *base = a;

    if (!n) return 0;
    while (n > 1) {
        unsigned half = n / 2;

        base = base[half - 1] <= s ? base + half : base;
        n -= half;
    }
    return (unsigned)(base - a) + (*base <= s);
}

/* Index of the first entry of leaf x >= k (x->n when none). */
static unsigned leaf_lower(const hp_zbt_leaf_t *x, const zkey_t *k)
{
    unsigned i = lb_score(x->score, x->n, k->score);

    while (i < x->n && x->score[i] == k->score && ent_cmp(x->ent[i], k) < 0)
        i++;
    return i;
}

/* The child of inner node x under which k belongs: the last one whose
 * separator is <= k (child 0 has none). */
static unsigned inner_route(const hp_zbt_inner_t *x, const zkey_t *k)
{
    unsigned j = 1 + ub_score(x->score + 1, x->n - 1, k->score);

    while (j > 1 && x->score[j - 1] == k->score &&
           ent_cmp(x->ent[j - 1], k) > 0)
        j--;
    return j - 1;
}

/* Start loading the scores of a node about to be searched. */
static inline void prefetch_scores(const void *node, int leaf)
{
    const char *p = node;
    size_t bytes = leaf ? sizeof(((hp_zbt_leaf_t *)0)->score)
                        : sizeof(((hp_zbt_inner_t *)0)->score);

    for (size_t off = 0; off < bytes + 8; off += 64)
        __builtin_prefetch(p + off);
}

/* ---------------------------------------------------------------------
 * Nodes and the tree
 * ------------------------------------------------------------------ */

hp_zbt_t *hp__zbt_new(void)
{
    hp_zbt_t *t = hp_malloc(sizeof(*t));
    hp_zbt_leaf_t *root;

    if (!t) return NULL;
    root = hp_malloc(sizeof(*root));
    if (!root) {
        hp_free(t);
        return NULL;
    }
    root->n = 0;
    root->prev = root->next = NULL;
    t->root = root;
    t->first = t->last = root;
    t->length = 0;
    t->height = 0;
    t->bytes = hp_malloc_size(t) + hp_malloc_size(root);
    return t;
}

/* Free the subtree under node at `height` inner levels. */
static void free_node(void *node, int height)
{
    if (height > 0) {
        hp_zbt_inner_t *x = node;

        for (unsigned i = 0; i < x->n; i++)
            free_node(x->kid[i].node, height - 1);
    }
    hp_free(node);
}

void hp__zbt_free(hp_zbt_t *t)
{
    if (!t) return;
    free_node(t->root, t->height);
    hp_free(t);
}

/* The way from the root to one leaf entry: node[l] is the inner node on
 * level l (0 the root) and ci[l] the child taken there. */
typedef struct path {
    int h;
    hp_zbt_inner_t *node[HP_ZBT_MAXH];
    unsigned ci[HP_ZBT_MAXH];
    hp_zbt_leaf_t *leaf;
    unsigned i;
} path_t;

/* Walk to the leaf position of the first entry >= k, filling p. With
 * rank non-NULL, *rank is the number of entries before that position
 * (its 0-based rank). */
static void descend_key(const hp_zbt_t *t, const zkey_t *k, path_t *p,
                        size_t *rank)
{
    void *x = t->root;
    size_t before = 0;

    p->h = t->height;
    for (int l = 0; l < t->height; l++) {
        hp_zbt_inner_t *in = x;
        unsigned c = inner_route(in, k);

        x = in->kid[c].node;
        prefetch_scores(x, l + 1 == t->height);
        if (rank)
            for (unsigned j = 0; j < c; j++) before += in->kid[j].count;
        p->node[l] = in;
        p->ci[l] = c;
    }
    p->leaf = x;
    p->i = leaf_lower(p->leaf, k);
    if (rank) *rank = before + p->i;
}

/* Walk to 0-based rank (< length), filling p. */
static void descend_rank(const hp_zbt_t *t, size_t rank, path_t *p)
{
    void *x = t->root;

    p->h = t->height;
    for (int l = 0; l < t->height; l++) {
        hp_zbt_inner_t *in = x;
        unsigned c = 0;

        while (c + 1 < in->n && rank >= in->kid[c].count)
            rank -= in->kid[c++].count;
        p->node[l] = in;
        p->ci[l] = c;
        x = in->kid[c].node;
    }
    p->leaf = x;
    p->i = (unsigned)rank;
}

/* Whether leaf entry p->i holds k. */
static int path_is(const path_t *p, const zkey_t *k)
{
    return p->i < p->leaf->n &&
           pair_cmp(p->leaf->score[p->i], p->leaf->ent[p->i], k) == 0;
}

/* Set the separator that names the smallest key of the subtree reached
 * by p below level `below` (the lowest level above it where the way does
 * not take the first child; none on the leftmost way) to (s, e). */
static void set_min(path_t *p, int below, double s, hp_dict_entry_t *e)
{
    for (int l = below - 1; l >= 0; l--) {
        if (p->ci[l] != 0) {
            p->node[l]->score[p->ci[l]] = s;
            p->node[l]->ent[p->ci[l]] = e;
            return;
        }
    }
}

/* Add d to the counts along p. */
static void path_count(path_t *p, long d)
{
    for (int l = 0; l < p->h; l++)
        p->node[l]->kid[p->ci[l]].count += (size_t)d;
}

/* Entries under inner node x. */
static size_t inner_sum(const hp_zbt_inner_t *x)
{
    size_t n = 0;

    for (unsigned i = 0; i < x->n; i++) n += x->kid[i].count;
    return n;
}

/* ---------------------------------------------------------------------
 * Insertion
 * ------------------------------------------------------------------ */

/* What a split hands to the level above: the new right node, its
 * smallest key and its entry count. */
typedef struct carry {
    void *node;
    double score;
    hp_dict_entry_t *ent;
    size_t count;
} carry_t;

/* Where to cut n + 1 entries (or children) after inserting at pos:
 * at the end of an append to the last node of the order, after the first
 * when prepending to the first one (`first` is the smallest position that
 * counts as prepending), else in half. The left part keeps the result. */
static unsigned cut_at(unsigned n, unsigned pos, int rightmost, int leftmost,
                       unsigned first)
{
    if (rightmost && pos == n) return n;
    if (leftmost && pos <= first) return first + 1;
    return (n + 1) / 2;
}

/* Insert (s, e) at position i of the full leaf x, moving the part after
 * the cut to the new leaf r. */
static void leaf_split(hp_zbt_t *t, hp_zbt_leaf_t *x, unsigned i, double s,
                       hp_dict_entry_t *e, hp_zbt_leaf_t *r)
{
    double sc[LCAP + 1];
    hp_dict_entry_t *en[LCAP + 1];
    unsigned cut = cut_at(LCAP, i, !x->next, !x->prev, 0);

    memcpy(sc, x->score, i * sizeof(sc[0]));
    memcpy(en, x->ent, i * sizeof(en[0]));
    sc[i] = s;
    en[i] = e;
    memcpy(sc + i + 1, x->score + i, (LCAP - i) * sizeof(sc[0]));
    memcpy(en + i + 1, x->ent + i, (LCAP - i) * sizeof(en[0]));
    x->n = cut;
    memcpy(x->score, sc, cut * sizeof(sc[0]));
    memcpy(x->ent, en, cut * sizeof(en[0]));
    r->n = LCAP + 1 - cut;
    memcpy(r->score, sc + cut, r->n * sizeof(sc[0]));
    memcpy(r->ent, en + cut, r->n * sizeof(en[0]));
    r->prev = x;
    r->next = x->next;
    if (x->next)
        x->next->prev = r;
    else
        t->last = r;
    x->next = r;
}

/* Insert child c at position pos of inner node x, which has room. */
static void inner_put(hp_zbt_inner_t *x, unsigned pos, const carry_t *c)
{
    unsigned tail = x->n - pos;

    memmove(x->score + pos + 1, x->score + pos, tail * sizeof(x->score[0]));
    memmove(x->ent + pos + 1, x->ent + pos, tail * sizeof(x->ent[0]));
    memmove(x->kid + pos + 1, x->kid + pos, tail * sizeof(x->kid[0]));
    x->score[pos] = c->score;
    x->ent[pos] = c->ent;
    x->kid[pos].node = c->node;
    x->kid[pos].count = c->count;
    x->n++;
}

/* Insert child c at position pos of the full inner node x, moving the
 * part after the cut to r; *c becomes what r hands upwards. */
static void inner_split(hp_zbt_inner_t *x, unsigned pos, carry_t *c,
                        hp_zbt_inner_t *r, int rightmost, int leftmost)
{
    double sc[ICAP + 1];
    hp_dict_entry_t *en[ICAP + 1];
    hp_zbt_kid_t kd[ICAP + 1];
    /* A new child at 1 on the leftmost way is the first's right half:
     * keep both on the left, as the cut keeps >= 2 children a side. */
    unsigned cut = cut_at(ICAP, pos, rightmost, leftmost, 1);

    if (cut == ICAP) cut = ICAP - 1;
    memcpy(sc, x->score, pos * sizeof(sc[0]));
    memcpy(en, x->ent, pos * sizeof(en[0]));
    memcpy(kd, x->kid, pos * sizeof(kd[0]));
    sc[pos] = c->score;
    en[pos] = c->ent;
    kd[pos].node = c->node;
    kd[pos].count = c->count;
    memcpy(sc + pos + 1, x->score + pos, (ICAP - pos) * sizeof(sc[0]));
    memcpy(en + pos + 1, x->ent + pos, (ICAP - pos) * sizeof(en[0]));
    memcpy(kd + pos + 1, x->kid + pos, (ICAP - pos) * sizeof(kd[0]));
    x->n = cut;
    memcpy(x->score, sc, cut * sizeof(sc[0]));
    memcpy(x->ent, en, cut * sizeof(en[0]));
    memcpy(x->kid, kd, cut * sizeof(kd[0]));
    r->n = ICAP + 1 - cut;
    memcpy(r->score, sc + cut, r->n * sizeof(sc[0]));
    memcpy(r->ent, en + cut, r->n * sizeof(en[0]));
    memcpy(r->kid, kd + cut, r->n * sizeof(kd[0]));
    c->node = r;
    c->score = sc[cut];
    c->ent = en[cut];
    c->count = inner_sum(r);
}

/* Insert (s, e) at p, which the walk for it filled. 0 or -ENOMEM
 * (unchanged: every node a split needs is allocated first). */
static int insert_at(hp_zbt_t *t, path_t *p, double s, hp_dict_entry_t *e)
{
    hp_zbt_leaf_t *x = p->leaf;
    void *spare[HP_ZBT_MAXH + 2];
    int need = 0, l, used = 1;
    int rightmost = !x->next && p->i == x->n, leftmost = !x->prev && p->i == 0;
    carry_t c;

    if (x->n < LCAP) {
        memmove(x->score + p->i + 1, x->score + p->i,
                (x->n - p->i) * sizeof(x->score[0]));
        memmove(x->ent + p->i + 1, x->ent + p->i,
                (x->n - p->i) * sizeof(x->ent[0]));
        x->score[p->i] = s;
        x->ent[p->i] = e;
        x->n++;
        path_count(p, 1);
        if (p->i == 0) set_min(p, p->h, s, e);
        t->length++;
        return 0;
    }
    /* Nodes to allocate: the leaf's sibling, one per full inner node
     * above it, and a new root when they are all full. */
    for (l = p->h - 1; l >= 0 && p->node[l]->n == ICAP; l--) need++;
    need += 1 + (l < 0);
    for (int j = 0; j < need; j++) {
        spare[j] = hp_malloc(j == 0 ? sizeof(hp_zbt_leaf_t)
                                    : sizeof(hp_zbt_inner_t));
        if (!spare[j]) {
            while (j-- > 0) hp_free(spare[j]);
            return -ENOMEM;
        }
    }
    for (int j = 0; j < need; j++) t->bytes += hp_malloc_size(spare[j]);
    leaf_split(t, x, p->i, s, e, spare[0]);
    if (p->i == 0) set_min(p, p->h, s, e);
    c.node = spare[0];
    c.score = ((hp_zbt_leaf_t *)spare[0])->score[0];
    c.ent = ((hp_zbt_leaf_t *)spare[0])->ent[0];
    c.count = ((hp_zbt_leaf_t *)spare[0])->n;
    size_t left = x->n;
    for (l = p->h - 1; l >= 0; l--) {
        hp_zbt_inner_t *in = p->node[l];
        unsigned ci = p->ci[l];

        if (!c.node) {
            in->kid[ci].count++;
            continue;
        }
        in->kid[ci].count = left;
        if (in->n < ICAP) {
            inner_put(in, ci + 1, &c);
            c.node = NULL;
            continue;
        }
        inner_split(in, ci + 1, &c, spare[used++], rightmost, leftmost);
        left = inner_sum(in);
    }
    if (c.node) {
        hp_zbt_inner_t *root = spare[used++];

        root->n = 2;
        root->kid[0].node = t->root;
        root->kid[0].count = left;
        root->kid[1].node = c.node;
        root->kid[1].count = c.count;
        root->score[1] = c.score;
        root->ent[1] = c.ent;
        root->score[0] = 0;
        root->ent[0] = NULL;
        t->root = root;
        t->height++;
        assert(t->height <= HP_ZBT_MAXH);
    }
    assert(used == need);
    t->length++;
    return 0;
}

int hp__zbt_insert(hp_zbt_t *t, double score, hp_dict_entry_t *ent)
{
    zkey_t k = {score, ent->key, ent->keylen};
    path_t p;

    descend_key(t, &k, &p, NULL);
    assert(!path_is(&p, &k));
    return insert_at(t, &p, score, ent);
}

/* ---------------------------------------------------------------------
 * Deletion
 * ------------------------------------------------------------------ */

/* Take k entries from leaf position p->i out of the leaf and the counts
 * (no rebalancing). */
static void leaf_take(hp_zbt_t *t, path_t *p, unsigned k)
{
    hp_zbt_leaf_t *x = p->leaf;
    unsigned tail = x->n - p->i - k;

    memmove(x->score + p->i, x->score + p->i + k, tail * sizeof(x->score[0]));
    memmove(x->ent + p->i, x->ent + p->i + k, tail * sizeof(x->ent[0]));
    x->n -= k;
    path_count(p, -(long)k);
    t->length -= k;
    if (p->i == 0 && x->n) set_min(p, p->h, x->score[0], x->ent[0]);
}

/* Remove child j (>= 1) of inner node x. */
static void inner_drop(hp_zbt_inner_t *x, unsigned j)
{
    unsigned tail = x->n - j - 1;

    memmove(x->score + j, x->score + j + 1, tail * sizeof(x->score[0]));
    memmove(x->ent + j, x->ent + j + 1, tail * sizeof(x->ent[0]));
    memmove(x->kid + j, x->kid + j + 1, tail * sizeof(x->kid[0]));
    x->n--;
}

/* Rebalance leaves a (child j - 1 of parent) and b (child j): merge b
 * into a when they fit in one, else even them out. */
static void leaf_pair(hp_zbt_t *t, hp_zbt_inner_t *par, unsigned j)
{
    hp_zbt_leaf_t *a = par->kid[j - 1].node, *b = par->kid[j].node;
    unsigned total = a->n + b->n;

    if (total <= LCAP) {
        memcpy(a->score + a->n, b->score, b->n * sizeof(a->score[0]));
        memcpy(a->ent + a->n, b->ent, b->n * sizeof(a->ent[0]));
        a->n = total;
        a->next = b->next;
        if (b->next)
            b->next->prev = a;
        else
            t->last = a;
        par->kid[j - 1].count = total;
        inner_drop(par, j);
        t->bytes -= hp_malloc_size(b);
        hp_free(b);
        return;
    }
    unsigned want = total / 2;
    if (a->n < want) { /* b's first entries to a's end */
        unsigned k = want - a->n;

        memcpy(a->score + a->n, b->score, k * sizeof(a->score[0]));
        memcpy(a->ent + a->n, b->ent, k * sizeof(a->ent[0]));
        memmove(b->score, b->score + k, (b->n - k) * sizeof(b->score[0]));
        memmove(b->ent, b->ent + k, (b->n - k) * sizeof(b->ent[0]));
        a->n += k;
        b->n -= k;
    } else { /* a's last entries to b's front */
        unsigned k = a->n - want;

        memmove(b->score + k, b->score, b->n * sizeof(b->score[0]));
        memmove(b->ent + k, b->ent, b->n * sizeof(b->ent[0]));
        memcpy(b->score, a->score + want, k * sizeof(b->score[0]));
        memcpy(b->ent, a->ent + want, k * sizeof(b->ent[0]));
        a->n -= k;
        b->n += k;
    }
    par->kid[j - 1].count = a->n;
    par->kid[j].count = b->n;
    par->score[j] = b->score[0];
    par->ent[j] = b->ent[0];
}

/* As leaf_pair for inner nodes a (child j - 1 of par) and b (child j). */
static void inner_pair(hp_zbt_t *t, hp_zbt_inner_t *par, unsigned j)
{
    hp_zbt_inner_t *a = par->kid[j - 1].node, *b = par->kid[j].node;
    unsigned total = a->n + b->n;

    /* b's first child's separator is the parent's for b. */
    b->score[0] = par->score[j];
    b->ent[0] = par->ent[j];
    if (total <= ICAP) {
        memcpy(a->score + a->n, b->score, b->n * sizeof(a->score[0]));
        memcpy(a->ent + a->n, b->ent, b->n * sizeof(a->ent[0]));
        memcpy(a->kid + a->n, b->kid, b->n * sizeof(a->kid[0]));
        a->n = total;
        par->kid[j - 1].count += par->kid[j].count;
        inner_drop(par, j);
        t->bytes -= hp_malloc_size(b);
        hp_free(b);
        return;
    }
    unsigned want = total / 2;
    if (a->n < want) {
        unsigned k = want - a->n;

        memcpy(a->score + a->n, b->score, k * sizeof(a->score[0]));
        memcpy(a->ent + a->n, b->ent, k * sizeof(a->ent[0]));
        memcpy(a->kid + a->n, b->kid, k * sizeof(a->kid[0]));
        memmove(b->score, b->score + k, (b->n - k) * sizeof(b->score[0]));
        memmove(b->ent, b->ent + k, (b->n - k) * sizeof(b->ent[0]));
        memmove(b->kid, b->kid + k, (b->n - k) * sizeof(b->kid[0]));
        a->n += k;
        b->n -= k;
    } else {
        unsigned k = a->n - want;

        memmove(b->score + k, b->score, b->n * sizeof(b->score[0]));
        memmove(b->ent + k, b->ent, b->n * sizeof(b->ent[0]));
        memmove(b->kid + k, b->kid, b->n * sizeof(b->kid[0]));
        memcpy(b->score, a->score + want, k * sizeof(b->score[0]));
        memcpy(b->ent, a->ent + want, k * sizeof(b->ent[0]));
        memcpy(b->kid, a->kid + want, k * sizeof(b->kid[0]));
        a->n -= k;
        b->n += k;
    }
    par->kid[j - 1].count = inner_sum(a);
    par->kid[j].count = inner_sum(b);
    par->score[j] = b->score[0];
    par->ent[j] = b->ent[0];
}

/* After entries left p's leaf: rebalance upwards from it while nodes are
 * below a quarter full, and drop a root with one child. */
static void rebalance(hp_zbt_t *t, path_t *p)
{
    int l = p->h - 1;

    if (l >= 0 && p->leaf->n < LMIN) {
        hp_zbt_inner_t *par = p->node[l];
        unsigned c = p->ci[l];

        /* An emptied first child takes its sibling's smallest key, which
         * a separator higher up must now name. */
        if (c == 0 && p->leaf->n == 0)
            set_min(p, l, par->score[1], par->ent[1]);
        leaf_pair(t, par, c ? c : 1);
        for (l--; l >= 0 && p->node[l + 1]->n < IMIN; l--)
            inner_pair(t, p->node[l], p->ci[l] ? p->ci[l] : 1);
    }
    while (t->height > 0 && ((hp_zbt_inner_t *)t->root)->n == 1) {
        hp_zbt_inner_t *root = t->root;

        t->root = root->kid[0].node;
        t->height--;
        t->bytes -= hp_malloc_size(root);
        hp_free(root);
    }
}

int hp__zbt_delete(hp_zbt_t *t, double score, const char *ele, size_t len)
{
    zkey_t k = {score, ele, len};
    path_t p;

    descend_key(t, &k, &p, NULL);
    if (!path_is(&p, &k)) return -ENOENT;
    leaf_take(t, &p, 1);
    rebalance(t, &p);
    return 0;
}

size_t hp__zbt_delete_ranks(hp_zbt_t *t, size_t first, size_t count,
                            void (*on_delete)(void *, hp_dict_entry_t *),
                            void *ud)
{
    size_t removed = 0;

    while (removed < count && first < t->length) {
        hp_dict_entry_t *gone[LCAP];
        path_t p;
        unsigned k;

        descend_rank(t, first, &p);
        k = p.leaf->n - p.i;
        if (k > count - removed) k = (unsigned)(count - removed);
        memcpy(gone, p.leaf->ent + p.i, k * sizeof(gone[0]));
        leaf_take(t, &p, k);
        rebalance(t, &p);
        removed += k;
        if (on_delete)
            for (unsigned j = 0; j < k; j++) on_delete(ud, gone[j]);
    }
    return removed;
}

/* ---------------------------------------------------------------------
 * Score updates
 * ------------------------------------------------------------------ */

/* Whether the entry at p may take score s in place: it stays above its
 * predecessor and below its successor. */
static int fits_in_place(const path_t *p, const zkey_t *nk)
{
    const hp_zbt_leaf_t *x = p->leaf;
    const hp_zbt_leaf_t *px = x, *nx = x;
    unsigned pi = p->i, ni = p->i + 1;

    if (pi == 0) {
        px = x->prev;
        pi = px ? px->n : 0;
    }
    if (px && pair_cmp(px->score[pi - 1], px->ent[pi - 1], nk) >= 0)
        return 0;
    if (ni == x->n) {
        nx = x->next;
        ni = 0;
    }
    return !nx || pair_cmp(nx->score[ni], nx->ent[ni], nk) > 0;
}

int hp__zbt_update_score(hp_zbt_t *t, double curscore, const char *ele,
                         size_t len, double newscore)
{
    zkey_t k = {curscore, ele, len}, nk = {newscore, ele, len};
    path_t p;
    hp_dict_entry_t *e;
    int rc;

    descend_key(t, &k, &p, NULL);
    assert(path_is(&p, &k));
    e = p.leaf->ent[p.i];
    if (fits_in_place(&p, &nk)) {
        p.leaf->score[p.i] = newscore;
        if (p.i == 0) set_min(&p, p.h, newscore, e);
        return 0;
    }
    if (p.h > 0 && p.leaf->n <= LMIN) {
        /* Taking it out first would rebalance: insert the new key first
         * (the only step that can fail), then delete the old one. */
        path_t q;

        descend_key(t, &nk, &q, NULL);
        rc = insert_at(t, &q, newscore, e);
        if (rc < 0) return rc;
        rc = hp__zbt_delete(t, curscore, ele, len);
        assert(rc == 0);
        return 0;
    }
    /* Take it out (the leaf keeps enough entries), insert it anew; if
     * that fails, put it back where it was. */
    leaf_take(t, &p, 1);
    {
        path_t q;

        descend_key(t, &nk, &q, NULL);
        rc = insert_at(t, &q, newscore, e);
    }
    if (rc == 0) return 0;
    hp_zbt_leaf_t *x = p.leaf;

    memmove(x->score + p.i + 1, x->score + p.i,
            (x->n - p.i) * sizeof(x->score[0]));
    memmove(x->ent + p.i + 1, x->ent + p.i, (x->n - p.i) * sizeof(x->ent[0]));
    x->score[p.i] = curscore;
    x->ent[p.i] = e;
    x->n++;
    path_count(&p, 1);
    t->length++;
    if (p.i == 0) set_min(&p, p.h, curscore, e);
    return rc;
}

/* ---------------------------------------------------------------------
 * Ranks and spans
 * ------------------------------------------------------------------ */

size_t hp__zbt_rank(hp_zbt_t *t, double score, const char *ele, size_t len)
{
    zkey_t k = {score, ele, len};
    path_t p;
    size_t rank;

    descend_key(t, &k, &p, &rank);

    return path_is(&p, &k) ? rank + 1 : 0;
}

int hp__zbt_at(const hp_zbt_t *t, size_t rank, hp_zbt_pos_t *pos)
{
    path_t p;

    if (rank >= t->length) {
        pos->leaf = NULL;
        pos->i = 0;
        return -ERANGE;
    }
    descend_rank(t, rank, &p);
    pos->leaf = p.leaf;
    pos->i = p.i;
    return 0;
}

/* A predicate on (score, member) that holds for a prefix of the order. */
typedef int (*pair_pred_fn)(double s, const hp_dict_entry_t *e,
                            const void *ud);

/* Number of entries for which pred holds. */
static size_t prefix_count(const hp_zbt_t *t, pair_pred_fn pred,
                           const void *ud)
{
    const void *x = t->root;
    size_t rank = 0;
    unsigned i;

    for (int l = 0; l < t->height; l++) {
        const hp_zbt_inner_t *in = x;

        /* The last child whose smallest key satisfies pred. */
        for (i = 1; i < in->n && pred(in->score[i], in->ent[i], ud); i++)
            rank += in->kid[i - 1].count;
        x = in->kid[i - 1].node;
    }
    const hp_zbt_leaf_t *leaf = x;
    for (i = 0; i < leaf->n && pred(leaf->score[i], leaf->ent[i], ud); i++)
        ;
    return rank + i;
}

static int below_min_score(double s, const hp_dict_entry_t *e, const void *ud)
{
    (void)e;
    return !hp__zrange_gte_min(s, ud);
}

static int upto_max_score(double s, const hp_dict_entry_t *e, const void *ud)
{
    (void)e;
    return hp__zrange_lte_max(s, ud);
}

static int below_min_lex(double s, const hp_dict_entry_t *e, const void *ud)
{
    (void)s;
    return !hp__zlex_gte_min(e->key, e->keylen, ud);
}

static int upto_max_lex(double s, const hp_dict_entry_t *e, const void *ud)
{
    (void)s;
    return hp__zlex_lte_max(e->key, e->keylen, ud);
}

/* [first, first+count) from the lengths of two prefixes. */
static void span_from(size_t below, size_t upto, size_t *first,
                      size_t *count)
{
    *first = below;
    *count = upto > below ? upto - below : 0;
}

void hp__zbt_span_score(const hp_zbt_t *t, const hp_zrange_t *r,
                        size_t *first, size_t *count)
{
    span_from(prefix_count(t, below_min_score, r),
              prefix_count(t, upto_max_score, r), first, count);
}

void hp__zbt_span_lex(const hp_zbt_t *t, const hp_zlex_t *r, size_t *first,
                      size_t *count)
{
    span_from(prefix_count(t, below_min_lex, r),
              prefix_count(t, upto_max_lex, r), first, count);
}

/* ---------------------------------------------------------------------
 * Validation
 * ------------------------------------------------------------------ */

/* What check_node learns about a subtree. */
typedef struct walk {
    const hp_zbt_t *t;
    const hp_zbt_leaf_t *prev; /* last leaf seen, in order */
    size_t bytes;
    int bad;
} walk_t;

/* Check the subtree at node (height inner levels, root when top) and
 * return its entry count; its smallest key in *s, *e (NULL when empty). */
static size_t check_node(walk_t *w, const void *node, int height, int top,
                         double *s, const hp_dict_entry_t **e)
{
    w->bytes += hp_malloc_size(node);
    if (height == 0) {
        const hp_zbt_leaf_t *x = node;

        if (x->n > LCAP || (!top && x->n == 0) || x->prev != w->prev ||
            (w->prev && w->prev->next != x))
            w->bad = 1;
        if (!w->prev && w->t->first != x) w->bad = 1;
        w->prev = x;
        for (unsigned i = 0; i < x->n; i++) {
            if (!x->ent[i]) {
                w->bad = 1;
                return 0;
            }
        }
        *s = x->n ? x->score[0] : 0;
        *e = x->n ? x->ent[0] : NULL;
        return x->n;
    }
    const hp_zbt_inner_t *x = node;
    size_t n = 0;

    if (x->n < 2 || x->n > ICAP) {
        w->bad = 1;
        return 0;
    }
    for (unsigned i = 0; i < x->n && !w->bad; i++) {
        double cs;
        const hp_dict_entry_t *ce;
        size_t c = check_node(w, x->kid[i].node, height - 1, 0, &cs, &ce);

        if (c != x->kid[i].count || !ce) w->bad = 1;
        if (i > 0 && (x->score[i] != cs || x->ent[i] != ce)) w->bad = 1;
        if (i == 0) {
            *s = cs;
            *e = ce;
        }
        n += c;
    }
    return n;
}

int hp__zbt_validate(const hp_zbt_t *t)
{
    walk_t w = {t, NULL, hp_malloc_size(t), 0};
    double s;
    const hp_dict_entry_t *e;
    size_t n = check_node(&w, t->root, t->height, 1, &s, &e);
    const hp_zbt_leaf_t *x;

    if (w.bad || n != t->length || w.bytes != t->bytes || w.prev != t->last ||
        w.prev->next || t->height > HP_ZBT_MAXH)
        return -EINVAL;
    /* Strictly ascending along the chain. */
    for (x = t->first; x; x = x->next) {
        for (unsigned i = 0; i < x->n; i++) {
            const hp_zbt_leaf_t *px = i ? x : x->prev;
            unsigned pi = i ? i - 1 : (px ? px->n - 1 : 0);

            if (px && px->n) {
                zkey_t k = {x->score[i], x->ent[i]->key, x->ent[i]->keylen};

                if (pair_cmp(px->score[pi], px->ent[pi], &k) >= 0)
                    return -EINVAL;
            }
        }
    }
    return 0;
}
