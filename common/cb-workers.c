/* SPDX-License-Identifier: MIT */
/* A thread pool with per-session serial queues and completions delivered to sd-event. */
#include "common/cb-workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/cb-log.h"
#include "common/cb-macro.h"
#include "common/cb-time.h"

struct job {
    cb_work_fn work;
    cb_done_fn done;
    void *data;
    struct cb_work_queue *queue;
    struct job *next;
};

struct cb_work_queue {
    struct cb_pool *pool;
    struct job *head, *tail;
    struct cb_work_queue *next_runnable;
    unsigned refs;
    bool running;
    bool runnable;
};

struct cb_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t drained;
    struct cb_work_queue *runnable_head, *runnable_tail;
    struct job *done_head, *done_tail;
    pthread_t *threads;
    unsigned n_threads, idle, min_threads, max_threads;
    unsigned pending;
    uint64_t last_progress;
    bool quit;
    int efd;
    sd_event_source *source;
};

static void queue_unref_locked(struct cb_work_queue *q)
{
    if (--q->refs == 0) {
        free(q);
    }
}

static void push_runnable_locked(struct cb_pool *p, struct cb_work_queue *q)
{
    q->runnable = true;
    q->next_runnable = NULL;
    if (p->runnable_tail) {
        p->runnable_tail->next_runnable = q;
    } else {
        p->runnable_head = q;
    }
    p->runnable_tail = q;
}

static struct cb_work_queue *pop_runnable_locked(struct cb_pool *p)
{
    struct cb_work_queue *q = p->runnable_head;

    if (q) {
        p->runnable_head = q->next_runnable;
        if (!p->runnable_head) {
            p->runnable_tail = NULL;
        }
        q->runnable = false;
    }
    return q;
}

static struct job *pop_job_locked(struct cb_work_queue *q)
{
    struct job *j = q->head;

    q->head = j->next;
    if (!q->head) {
        q->tail = NULL;
    }
    return j;
}

static void finish_job_locked(struct cb_pool *p, struct job *j)
{
    struct cb_work_queue *q = j->queue;
    uint64_t one = 1;

    j->next = NULL;
    if (p->done_tail) {
        p->done_tail->next = j;
    } else {
        p->done_head = j;
    }
    p->done_tail = j;
    p->last_progress = cb_now_monotonic_usec();

    q->running = false;
    if (q->head) {
        push_runnable_locked(p, q);
        pthread_cond_signal(&p->wake);
    }
    if (write(p->efd, &one, sizeof one) < 0) {
        /* The counter cannot overflow in practice; the loop reads it on every wake-up. */
    }
}

static void *worker_main(void *userdata)
{
    struct cb_pool *p = userdata;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct cb_work_queue *q;
        struct job *j;

        while (!p->quit && !p->runnable_head) {
            p->idle++;
            pthread_cond_wait(&p->wake, &p->lock);
            p->idle--;
        }
        q = pop_runnable_locked(p);
        if (!q) {
            break; /* quitting with nothing left to run */
        }
        j = pop_job_locked(q);
        q->running = true;
        p->last_progress = cb_now_monotonic_usec();
        pthread_mutex_unlock(&p->lock);

        j->work(j->data);

        pthread_mutex_lock(&p->lock);
        finish_job_locked(p, j);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int start_thread_locked(struct cb_pool *p)
{
    pthread_t *grown;
    int r;

    grown = realloc(p->threads, (p->n_threads + 1) * sizeof *grown);
    if (!grown) {
        return -ENOMEM;
    }
    p->threads = grown;
    r = pthread_create(&p->threads[p->n_threads], NULL, worker_main, p);
    if (r != 0) {
        return -r;
    }
    p->n_threads++;
    return 0;
}

static void run_completions(struct cb_pool *p)
{
    struct job *j;

    pthread_mutex_lock(&p->lock);
    j = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->lock);

    while (j) {
        struct job *next = j->next;

        if (j->done) {
            j->done(j->data);
        }
        pthread_mutex_lock(&p->lock);
        p->pending--;
        queue_unref_locked(j->queue);
        if (p->pending == 0) {
            pthread_cond_broadcast(&p->drained);
        }
        pthread_mutex_unlock(&p->lock);
        free(j);
        j = next;
    }
}

static int on_eventfd(sd_event_source *s CB_UNUSED,
                      int fd,
                      uint32_t revents CB_UNUSED,
                      void *userdata)
{
    uint64_t n;

    if (read(fd, &n, sizeof n) < 0 && errno != EAGAIN) {
        return cb_log_error_errno(errno, "Failed to read the worker completion counter");
    }
    run_completions(userdata);
    return 0;
}

int cb_pool_new(sd_event *event, unsigned min_threads, unsigned max_threads, struct cb_pool **ret)
{
    struct cb_pool *p = calloc(1, sizeof *p);
    int r = 0;

    if (!p) {
        return -ENOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->drained, NULL);
    p->min_threads = min_threads;
    p->max_threads = max_threads;
    p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->efd < 0) {
        free(p);
        return -errno;
    }
    if (event) {
        r = sd_event_add_io(event, &p->source, p->efd, EPOLLIN, on_eventfd, p);
    }
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; r >= 0 && i < min_threads; i++) {
        r = start_thread_locked(p);
    }
    pthread_mutex_unlock(&p->lock);
    if (r < 0) {
        cb_pool_free(p);
        return r;
    }

    *ret = p;
    return 0;
}

void cb_pool_stop(struct cb_pool *p)
{
    unsigned n;

    if (!p) {
        return;
    }
    /* Running work finishes first: a handler holding a backend call is never abandoned. */
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->wake);
    n = p->n_threads;
    p->n_threads = 0;
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < n; i++) {
        pthread_join(p->threads[i], NULL);
    }
    run_completions(p);
}

struct cb_pool *cb_pool_free(struct cb_pool *p)
{
    if (!p) {
        return NULL;
    }
    cb_pool_stop(p);
    sd_event_source_disable_unref(p->source);
    close(p->efd);
    free(p->threads);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->drained);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
}

struct cb_work_queue *cb_work_queue_new(struct cb_pool *pool)
{
    struct cb_work_queue *q = calloc(1, sizeof *q);

    if (q) {
        q->pool = pool;
        q->refs = 1;
    }
    return q;
}

void cb_work_queue_unref(struct cb_work_queue *q)
{
    struct cb_pool *p;

    if (!q) {
        return;
    }
    p = q->pool;
    pthread_mutex_lock(&p->lock);
    queue_unref_locked(q);
    pthread_mutex_unlock(&p->lock);
}

int cb_pool_submit(struct cb_work_queue *q, cb_work_fn work, cb_done_fn done, void *data)
{
    struct cb_pool *p = q->pool;
    struct job *j = calloc(1, sizeof *j);
    int r = 0;

    if (!j) {
        return -ENOMEM;
    }
    *j = (struct job){ .work = work, .done = done, .data = data, .queue = q };

    pthread_mutex_lock(&p->lock);
    q->refs++;
    p->pending++;
    if (q->tail) {
        q->tail->next = j;
    } else {
        q->head = j;
    }
    q->tail = j;
    if (!q->running && !q->runnable) {
        push_runnable_locked(p, q);
    }
    if (p->idle == 0 && p->n_threads < p->max_threads) {
        r = start_thread_locked(p);
        if (r < 0 && p->n_threads > 0) {
            r = 0; /* the existing threads will get to it */
        }
    }
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return r;
}

bool cb_work_queue_hold(struct cb_work_queue *q)
{
    struct cb_pool *p = q->pool;
    bool held = false;

    pthread_mutex_lock(&p->lock);
    if (!q->running && !q->runnable && !q->head) {
        q->running = true;
        q->refs++;
        p->pending++;
        held = true;
    }
    pthread_mutex_unlock(&p->lock);
    return held;
}

void cb_work_queue_unhold(struct cb_work_queue *q)
{
    struct cb_pool *p = q->pool;

    pthread_mutex_lock(&p->lock);
    q->running = false;
    p->pending--;
    p->last_progress = cb_now_monotonic_usec();
    if (q->head && !q->runnable) {
        push_runnable_locked(p, q);
        if (p->idle == 0 && p->n_threads < p->max_threads && !p->quit) {
            (void)start_thread_locked(p); /* else the existing threads get to it */
        }
        pthread_cond_signal(&p->wake);
    }
    if (p->pending == 0) {
        pthread_cond_broadcast(&p->drained);
    }
    queue_unref_locked(q);
    pthread_mutex_unlock(&p->lock);
}

unsigned cb_pool_pending(struct cb_pool *p)
{
    unsigned n;

    pthread_mutex_lock(&p->lock);
    n = p->pending;
    pthread_mutex_unlock(&p->lock);
    return n;
}

bool cb_pool_stuck(struct cb_pool *p, uint64_t stall_usec)
{
    bool stuck;

    pthread_mutex_lock(&p->lock);
    stuck = p->runnable_head && p->idle == 0 && p->n_threads >= p->max_threads &&
            cb_now_monotonic_usec() - p->last_progress > stall_usec;
    pthread_mutex_unlock(&p->lock);
    return stuck;
}
