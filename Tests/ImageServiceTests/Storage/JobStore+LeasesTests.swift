import Foundation
import Synchronization
import Testing

@testable import ImageService
@testable import Imaging
@testable import PostgresClient
@testable import TestSupport

/// The lease protocol, each test in a schema of its own: claims see every unheld job in the table.
@Suite(.timeLimit(.minutes(1))) struct JobStoreLeasesTests {
    private static func job(_ bytes: [UInt8] = [1, 2, 3], key: String? = nil) -> NewJob {
        NewJob(
            original: bytes, originalInfo: ImageInfo(format: .png, width: 4, height: 4),
            options: ProcessingOptions(operations: [.grayscale]), filename: nil, metadata: nil, idempotencyKey: key)
    }

    private static let result = ProcessedImage(bytes: [7, 7], info: ImageInfo(format: .png, width: 4, height: 4))

    private func withStore(_ body: (JobStore) throws -> Void) throws {
        try TestDatabase.withScratchSchema { _, connect in
            let connection = try connect()
            try Migrations.run(on: connection)
            try body(JobStore(connection: connection))
        }
    }

    @Test func claimTakesUnheldAndAbandonedJobsOldestFirstAndLeavesHeldOnes() throws {
        try withStore { store in
            let alive = JobLease(owner: "alive", duration: .seconds(60))
            let dead = JobLease(owner: "dead", duration: .milliseconds(1))
            let unheld = try store.insert(Self.job()).created()
            let held = try store.insert(Self.job(), lease: alive).created()
            let abandoned = try store.insert(Self.job(), lease: dead).created()
            _ = try store.start(id: abandoned.id, lease: dead)
            Thread.sleep(forTimeInterval: 0.01)

            let me = JobLease(owner: "me", duration: .seconds(60))
            let claimed = try store.claim(lease: me, limit: 10)
            #expect(claimed.map(\.job.id) == [unheld.id, abandoned.id])
            #expect(claimed.map(\.wasAbandoned) == [false, true])
            #expect(claimed.first?.job.original == [1, 2, 3])
            #expect(try store.claim(lease: me, limit: 10).isEmpty)
            _ = held

            // The abandoned job's old attempt can no longer write; the new holder's can.
            let stale = JobAttempt(id: abandoned.id, owner: "dead", number: 1)
            #expect(try !store.complete(stale, result: Self.result))
            let fresh = try #require(try store.start(id: abandoned.id, lease: me))
            #expect(fresh.number == 2)
            #expect(try store.complete(fresh, result: Self.result))
        }
    }

    @Test func concurrentClaimsNeverTakeTheSameJob() throws {
        let url = try TestDatabase.url()
        try TestDatabase.withScratchSchema { schema, connect in
            let store = JobStore(connection: try connect())
            try Migrations.run(on: store.connection)
            for _ in 0..<40 { _ = try store.insert(Self.job()) }
            let taken = Mutex<[UUID]>([])
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                guard let connection = try? PostgresConnection(url),
                    (try? connection.query("SELECT set_config('search_path', $1, false)", [schema])) != nil
                else { return }
                let replica = JobStore(connection: connection)
                let lease = JobLease(owner: "replica-\(index)", duration: .seconds(60))
                while let batch = try? replica.claim(lease: lease, limit: 3), !batch.isEmpty {
                    taken.withLock { $0 += batch.map(\.job.id) }
                }
            }
            let ids = taken.withLock { $0 }
            #expect(ids.count == 40)
            #expect(Set(ids).count == 40)
        }
    }

    @Test func releaseMakesAJobClaimableAfterItsDelay() throws {
        try withStore { store in
            let me = JobLease(owner: "me", duration: .seconds(60))
            let record = try store.insert(Self.job(), lease: me).created()
            #expect(try store.claim(lease: me, limit: 5).isEmpty)
            #expect(try store.release(id: record.id, owner: "me", retryAfter: .seconds(30)))
            #expect(try store.claim(lease: me, limit: 5).isEmpty)
            #expect(try store.release(id: record.id, owner: "nobody") == false)
            try store.connection.query("UPDATE processed_images SET next_attempt_at = now() - interval '1 s'")
            #expect(try store.claim(lease: me, limit: 5).map(\.job.id) == [record.id])
        }
    }

    @Test func releasingAllOfAnOwnersJobsMakesThemClaimableAtOnce() throws {
        try withStore { store in
            let old = JobLease(owner: "r1", duration: .seconds(600))
            let record = try store.insert(Self.job(), lease: old).created()
            #expect(try store.claim(lease: old, limit: 5).isEmpty)
            #expect(try store.releaseAll(owner: "r1") == 1)
            #expect(try store.claim(lease: old, limit: 5).map(\.job.id) == [record.id])
            #expect(try store.renewLeases(old, ids: [record.id]) == 1)
            #expect(try store.renewLeases(old, ids: [UUID()]) == 0)
        }
    }

    @Test func theSameIdempotencyKeyReturnsTheFirstJobAndADifferentUploadIsRefused() throws {
        try withStore { store in
            let first = try store.insert(Self.job([1, 2], key: "k-1")).created()
            #expect(try store.insert(Self.job([1, 2], key: "k-1")) == .existing(first))
            #expect(try store.insert(Self.job([9, 9], key: "k-1")) == .keyReused)
            let count = try store.connection.query("SELECT count(*) FROM processed_images")
            #expect(try count.int(0, 0) == 1)
            // After 24 hours the key is free again.
            try store.connection.query("UPDATE processed_images SET uploaded_at = now() - interval '25 hours'")
            let later = try store.insert(Self.job([9, 9], key: "k-1")).created()
            #expect(later.id != first.id)
        }
    }

    @Test func retentionDeletesOnlyOldFinishedJobs() throws {
        try withStore { store in
            let me = JobLease(owner: "me", duration: .seconds(60))
            let old = try store.insert(Self.job(), lease: me).created()
            let attempt = try #require(try store.start(id: old.id, lease: me))
            #expect(try store.complete(attempt, result: Self.result))
            let waiting = try store.insert(Self.job()).created()
            try store.connection.query("UPDATE processed_images SET processed_at = now() - interval '40 days'")
            #expect(try store.deleteFinished(olderThanDays: 30, limit: 100) == 1)
            #expect(try store.find(id: old.id) == nil)
            #expect(try store.find(id: waiting.id) != nil)
        }
    }

    @Test func backlogCountsUnfinishedJobs() throws {
        try withStore { store in
            let me = JobLease(owner: "me", duration: .seconds(60))
            _ = try store.insert(Self.job())
            let running = try store.insert(Self.job(), lease: me).created()
            _ = try store.start(id: running.id, lease: me)
            let backlog = try store.backlog()
            #expect(backlog.queued == 1)
            #expect(backlog.processing == 1)
            #expect(backlog.oldestQueuedAge >= 0)
        }
    }
}
