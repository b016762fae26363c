// Live job status. Every job not yet terminal is followed with long-polls (`?wait=25`), at most
// two at a time: a browser opens about six connections per server, and a long-poll holds one,
// so the uploads, thumbnails and list must keep the rest. The server's queue is first in, first
// out, so the job waited on longest ago is the one polled next.

import { getImage } from "./api.js";

const WAIT_SECONDS = 25;
const POLL_SLOTS = 2;
const MAX_BACKOFF_MS = 30_000;

const sleep = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

/**
 * Holds the latest status of every job the page shows and follows the unfinished ones.
 * Events: `job` (detail: the status JSON, sent when it changed), `gone` (detail: id, deleted
 * on the server), `trouble` (detail: {id, error}, a poll failed and will be retried).
 */
export class JobTracker extends EventTarget {
    constructor() {
        super();
        this.jobs = new Map();
        this.following = new Map();
        this.active = 0;
    }

    /** Records a status (from any answer of the API); follows the job until it is terminal. */
    update(job) {
        const previous = this.jobs.get(job.id);
        this.jobs.set(job.id, job);
        if (job.status === "completed" || job.status === "failed") {
            this.following.delete(job.id);
        } else if (!this.following.has(job.id)) {
            this.following.set(job.id, { polledAt: 0, inFlight: false, failures: 0 });
            this.pump();
        }
        if (!previous || changed(previous, job)) {
            this.dispatchEvent(new CustomEvent("job", { detail: job }));
        }
    }

    /** Stops following a job and drops what is known of it (after a delete). */
    forget(id) {
        this.following.delete(id);
        this.jobs.delete(id);
    }

    pump() {
        while (this.active < POLL_SLOTS) {
            const next = this.nextToPoll();
            if (!next) return;
            this.poll(next);
        }
    }

    nextToPoll() {
        let best = null;
        for (const [id, entry] of this.following) {
            if (entry.inFlight) continue;
            if (!best || entry.polledAt < best.entry.polledAt) best = { id, entry };
        }
        return best?.id ?? null;
    }

    async poll(id) {
        const entry = this.following.get(id);
        entry.inFlight = true;
        this.active += 1;
        try {
            const job = await getImage(id, { wait: WAIT_SECONDS });
            entry.failures = 0;
            this.update(job);
        } catch (error) {
            if (error.status === 404) {
                this.forget(id);
                this.dispatchEvent(new CustomEvent("gone", { detail: id }));
            } else {
                entry.failures += 1;
                this.dispatchEvent(new CustomEvent("trouble", { detail: { id, error } }));
                const backoffMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (entry.failures - 1));
                await sleep(Math.max((error.retryAfter ?? 0) * 1000, backoffMs));
            }
        } finally {
            entry.inFlight = false;
            entry.polledAt = performance.now();
            this.active -= 1;
            this.pump();
        }
    }
}

function changed(before, after) {
    return (
        before.status !== after.status ||
        before.processed_at !== after.processed_at ||
        before.attempts !== after.attempts ||
        (before.error?.message ?? null) !== (after.error?.message ?? null)
    );
}
