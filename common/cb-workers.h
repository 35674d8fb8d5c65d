/* SPDX-License-Identifier: MIT */
/*
 * The worker pool of DESIGN.md: handler work runs on threads, one serialized queue per
 * session, so one session's slow call never delays another's. Completions come back to the
 * sd-event loop thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct cb_pool;
struct cb_work_queue;

/* Runs on a worker thread. */
typedef void (*cb_work_fn)(void *data);
/* Runs on the loop thread once the work is done. */
typedef void (*cb_done_fn)(void *data);

/* Threads are started on demand up to max_threads, min_threads are kept. */
int cb_pool_new(sd_event *event, unsigned min_threads, unsigned max_threads, struct cb_pool **ret);

/* Waits for running work to finish, runs its completions, and joins the threads. */
struct cb_pool *cb_pool_free(struct cb_pool *pool);

/* Lets running work finish and ends the threads, keeping the pool itself: the work queues of
 * sessions may then still be released (their unref takes the pool's lock). Free comes later. */
void cb_pool_stop(struct cb_pool *pool);

/* A new serial queue (refcount 1). Work submitted to one queue runs in order, one at a time. */
struct cb_work_queue *cb_work_queue_new(struct cb_pool *pool);
void cb_work_queue_unref(struct cb_work_queue *q);

/*
 * Marks an idle queue (nothing queued or running) as running work of the loop thread's own,
 * which waits on a descriptor rather than a thread: what is submitted meanwhile waits, as it
 * would behind a job. Returns false when the queue is not idle. cb_work_queue_unhold ends it.
 */
bool cb_work_queue_hold(struct cb_work_queue *q);
void cb_work_queue_unhold(struct cb_work_queue *q);

/* Queues work. Returns 0 or -ENOMEM. */
int cb_pool_submit(struct cb_work_queue *q, cb_work_fn work, cb_done_fn done, void *data);

/* Jobs queued or running, in all queues. */
unsigned cb_pool_pending(struct cb_pool *pool);

/*
 * True when work is waiting, every thread (at the maximum) is busy and nothing started or
 * finished for stall_usec: the pool is stuck, and the watchdog must not be fed.
 */
bool cb_pool_stuck(struct cb_pool *pool, uint64_t stall_usec);
