import Foundation
import Testing

@testable import ImageService
@testable import Imaging
@testable import PostgresClient
@testable import TestSupport

/// Each test works on jobs with fresh ids and deletes them, so it can share the database with other suites.
@Suite(.timeLimit(.minutes(1))) struct JobStoreTests {
    let store: JobStore
    /// The jobs of these tests are born held by this test "replica", as a replica's own uploads are.
    let lease = JobLease(owner: "test-\(UUID())", duration: .seconds(60))

    init() throws {
        store = JobStore(connection: try TestDatabase.migrated())
    }

    private func newJob(
        bytes: [UInt8] = TestDatabase.randomBytes(4096),
        options: ProcessingOptions = ProcessingOptions(operations: [.resize, .grayscale], width: 320, fit: .cover),
        filename: String? = "cat's photo.jpg", metadata: String? = #"{"album": "holiday", "n": [1, 2]}"#
    ) -> NewJob {
        NewJob(
            original: bytes, originalInfo: ImageInfo(format: .jpeg, width: 1024, height: 768), options: options,
            filename: filename, metadata: metadata)
    }

    /// Inserts `job`, runs `body`, then deletes it whatever happened.
    private func withJob(_ job: NewJob, _ body: (JobRecord) throws -> Void) throws {
        let record = try store.insert(job, lease: lease).created()
        defer { _ = try? store.delete(id: job.id) }
        try body(record)
    }

    @Test func insertReturnsTheQueuedRecordAndFindReadsItBack() throws {
        let job = newJob()
        try withJob(job) { inserted in
            #expect(inserted.id == job.id)
            #expect(inserted.status == .queued)
            #expect(inserted.options == job.options)
            #expect(inserted.filename == "cat's photo.jpg")
            #expect(inserted.metadata == #"{"n": [1, 2], "album": "holiday"}"#)
            #expect(inserted.original == ImageSummary(format: .jpeg, width: 1024, height: 768, bytes: 4096))
            #expect(inserted.processed == nil)
            #expect(inserted.processedAt == nil)
            #expect(inserted.failure == nil)
            #expect(inserted.attempts == 0)
            #expect(abs(inserted.uploadedAt.timeIntervalSinceNow) < 60)
            let found = try store.find(id: job.id)
            #expect(found == inserted)
        }
    }

    @Test func findReturnsNilForAnUnknownId() throws {
        #expect(try store.find(id: UUID()) == nil)
    }

    @Test func keepsOptionalFieldsAndEmptyOperations() throws {
        let options = ProcessingOptions(operations: [], width: nil, height: 90, fit: .fill, format: .png, quality: 1)
        try withJob(newJob(options: options, filename: nil, metadata: nil)) { inserted in
            #expect(inserted.options == options)
            #expect(inserted.filename == nil)
            #expect(inserted.metadata == nil)
        }
    }

    @Test func storesTheOriginalByteForByte() throws {
        let job = newJob(bytes: TestDatabase.randomBytes(3 * 1024 * 1024 + 7))
        try withJob(job) { _ in
            let original = try store.originalImage(id: job.id)
            #expect(original == StoredImage(bytes: job.original, format: .jpeg))
        }
    }

    @Test func processesAJobToCompletion() throws {
        let job = newJob()
        try withJob(job) { _ in
            #expect(try store.processedImage(id: job.id) == nil)
            let attempt = try #require(try store.start(id: job.id, lease: lease))
            #expect(attempt.number == 1)
            #expect(try store.find(id: job.id)?.status == .processing)
            #expect(try store.find(id: job.id)?.attempts == 1)

            let output = TestDatabase.randomBytes(2 * 1024 * 1024 + 3)
            let result = ProcessedImage(bytes: output, info: ImageInfo(format: .png, width: 320, height: 240))
            #expect(try store.complete(attempt, result: result))

            let record = try #require(try store.find(id: job.id))
            #expect(record.status == .completed)
            #expect(record.processed == ImageSummary(format: .png, width: 320, height: 240, bytes: output.count))
            #expect(try #require(record.processedAt) >= record.uploadedAt)
            #expect(record.attempts == 1)
            #expect(try store.processedImage(id: job.id) == StoredImage(bytes: output, format: .png))
            #expect(try store.originalImage(id: job.id)?.bytes == job.original)

            // Finished jobs do not move again, and writing the same result twice changes nothing.
            #expect(try store.start(id: job.id, lease: lease) == nil)
            #expect(try !store.complete(attempt, result: result))
            #expect(try !store.fail(attempt, failure: JobFailure(code: "late", message: "too late")))
            #expect(try store.find(id: job.id)?.status == .completed)
        }
    }

    @Test func recordsAFailure() throws {
        let job = newJob()
        try withJob(job) { _ in
            let attempt = try #require(try store.start(id: job.id, lease: lease))
            let failure = JobFailure(code: "decode_failed", message: "the JPEG data is truncated")
            #expect(try store.fail(attempt, failure: failure))
            let record = try #require(try store.find(id: job.id))
            #expect(record.status == .failed)
            #expect(record.failure == failure)
            #expect(record.processedAt != nil)
            #expect(record.processed == nil)
            #expect(try store.processedImage(id: job.id) == nil)
            #expect(try store.start(id: job.id, lease: lease) == nil)
        }
    }

    @Test func onlyTheLeaseHolderStartsAJob() throws {
        let job = newJob()
        try withJob(job) { _ in
            let stranger = JobLease(owner: "someone-else", duration: .seconds(60))
            let strangerAttempt = try store.start(id: job.id, lease: stranger)
            let holderAttempt = try store.start(id: job.id, lease: lease)
            #expect(strangerAttempt == nil)
            #expect(holderAttempt != nil)
        }
    }

    @Test func transitionsOfAMissingJobReportFalse() throws {
        let id = UUID()
        let result = ProcessedImage(bytes: [1], info: ImageInfo(format: .png, width: 1, height: 1))
        let attempt = JobAttempt(id: id, owner: lease.owner, number: 1)
        #expect(try store.start(id: id, lease: lease) == nil)
        #expect(try !store.complete(attempt, result: result))
        #expect(try !store.fail(attempt, failure: JobFailure(code: "x", message: "y")))
        #expect(try store.originalImage(id: id) == nil)
    }

    @Test func deleteRemovesTheJobOnce() throws {
        let job = newJob()
        _ = try store.insert(job).created()
        #expect(try store.delete(id: job.id))
        #expect(try store.find(id: job.id) == nil)
        #expect(try store.originalImage(id: job.id) == nil)
        #expect(try !store.delete(id: job.id))
    }

    @Test func insertingTheSameIdAgainReturnsTheStoredJob() throws {
        // What a statement sent twice over a connection that broke after the first commit looks like.
        let job = newJob()
        try withJob(job) { first in
            #expect(try store.insert(job) == .created(first))
            let rows = try store.connection.query("SELECT count(*) FROM processed_images WHERE id = $1", [job.id])
            #expect(try rows.int(0, 0) == 1)
        }
    }

    @Test func refusesMetadataThatIsNotJSON() throws {
        let error = try #require(throws: PostgresError.self) { try store.insert(newJob(metadata: "{not json")) }
        #expect(error.code == .invalidTextRepresentation)
    }

    @Test func listsEveryJobOnceNewestFirstAcrossPages() throws {
        let jobs = (0..<7).map { _ in newJob(bytes: [1, 2, 3]) }
        var inserted: [JobRecord] = []
        defer {
            for job in jobs { _ = try? store.delete(id: job.id) }
        }
        for job in jobs {
            inserted.append(try store.insert(job).created())
        }
        let mine = Set(jobs.map(\.id))
        var seen: [JobRecord] = []
        var cursor: String? = nil
        var pages = 0
        // Other suites may add jobs meanwhile; newer ones than the first page are simply not reached.
        repeat {
            let page = try store.list(limit: 3, before: cursor)
            #expect(page.items.count <= 3)
            #expect(page.next == nil || page.items.count == 3)
            seen += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 10_000
        #expect(Set(seen.map(\.id)).count == seen.count, "no job appears twice")
        let order = zip(seen, seen.dropFirst()).allSatisfy { newer, older in
            (newer.uploadedAt, newer.id.uuidString) > (older.uploadedAt, older.id.uuidString)
                || newer.uploadedAt > older.uploadedAt
        }
        #expect(order, "newest first")
        let expected = inserted.sorted { ($0.uploadedAt, $0.id.uuidString) > ($1.uploadedAt, $1.id.uuidString) }
        #expect(seen.filter { mine.contains($0.id) } == expected)
        #expect(pages >= 3)
    }

    @Test func aPageEndsWithoutACursorWhenNothingIsLeft() throws {
        let job = newJob()
        try withJob(job) { inserted in
            let first = try store.list(limit: 1, before: nil)
            #expect(first.items.count == 1)
            // A cursor just above this job: the page after it cannot hold it again.
            let cursor = JobCursor(uploadedAt: inserted.uploadedAt, id: inserted.id).encoded
            let after = try store.list(limit: 1_000_000, before: cursor)
            #expect(!after.items.contains { $0.id == job.id })
            #expect(after.next == nil)
        }
    }

    @Test func rejectsAMalformedCursor() throws {
        #expect(throws: InvalidCursor()) { try store.list(limit: 10, before: "not-a-cursor") }
        #expect(throws: InvalidCursor()) { try store.list(limit: 10, before: "") }
    }
}
