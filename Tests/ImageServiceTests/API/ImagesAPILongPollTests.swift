import Foundation
import Synchronization
import Testing

@testable import ImageService
@testable import Imaging
@testable import PostgresClient
@testable import TestSupport

/// `GET /api/images/{id}?wait=S` over the real service: however the wait ends — the job deleted under it, the
/// database failing, the time running out, the job finishing — nothing stays registered.
@Suite(.serialized, .timeLimit(.minutes(2))) final class ImagesAPILongPollTests {
    /// What to do in the window between a long-poll's registration and its second look-up.
    private enum Meddling {
        case nothing
        case deleteTheJob
        case breakTheDatabase
    }

    private final class Meddler: Sendable {
        let plan = Mutex(Meddling.nothing)
        let databaseURL = Mutex("")

        func act(on id: UUID) {
            let plan = self.plan.withLock { plan in
                defer { plan = .nothing }
                return plan
            }
            guard plan != .nothing, let connection = try? PostgresConnection(databaseURL.withLock { $0 }) else {
                return
            }
            switch plan {
            case .nothing: break
            case .deleteTheJob: _ = try? JobStore(connection: connection).delete(id: id)
            case .breakTheDatabase:
                _ = try? connection.query("ALTER TABLE processed_images RENAME TO processed_images_gone")
            }
        }
    }

    private let meddler = Meddler()
    private let completions: JobCompletionSignal
    private let service: TestService

    init() throws {
        let meddler = self.meddler
        completions = JobCompletionSignal(afterRegistering: { meddler.act(on: $0) })
        service = try TestService(completions: completions)
        meddler.databaseURL.withLock { $0 = service.databaseURL }
    }

    deinit {
        try? service.dropSchema()
    }

    /// A job held by a replica that is not running: it stays `queued`, so a long-poll on it really waits.
    private func unfinishedJob() throws -> JobRecord {
        let png = TestImages.colorfulPNG(width: 16, height: 16)
        return try JobStore(connection: try service.connect()).insert(
            NewJob(
                original: png, originalInfo: ImageInfo(format: .png, width: 16, height: 16),
                options: ProcessingOptions(), filename: nil, metadata: nil),
            lease: JobLease(owner: "elsewhere", duration: .seconds(120))
        ).created()
    }

    private func poll(_ job: JobRecord, wait: Int) async throws -> TestResponse {
        try await Self.poll(service, job, wait: wait)
    }

    private static func poll(_ service: TestService, _ job: JobRecord, wait: Int) async throws -> TestResponse {
        try await blocking {
            try service.client().request("GET", "/api/images/\(job.id.uuidString.lowercased())?wait=\(wait)")
        }
    }

    @Test func aJobDeletedBetweenRegistrationAndLookUpLeavesNoWaiter() async throws {
        let job = try unfinishedJob()
        meddler.plan.withLock { $0 = .deleteTheJob }
        let answer = try await poll(job, wait: 20)
        #expect(answer.status == 404)
        #expect(completions.registrations == 0)
    }

    @Test func aFailingSecondLookUpLeavesNoWaiter() async throws {
        let job = try unfinishedJob()
        meddler.plan.withLock { $0 = .breakTheDatabase }
        let answer = try await poll(job, wait: 20)
        _ = try service.connect().query("ALTER TABLE processed_images_gone RENAME TO processed_images")
        #expect(answer.status == 500)
        #expect(completions.registrations == 0)
    }

    @Test func aWaitThatTimesOutLeavesNoWaiter() async throws {
        let job = try unfinishedJob()
        let started = ContinuousClock.now
        let answer = try await poll(job, wait: 1)
        #expect(ContinuousClock.now - started >= .seconds(1))
        #expect(try answer.json()["status"] as? String == "queued")
        #expect(completions.registrations == 0)
    }

    @Test func aWaitEndedByTheJobFinishingLeavesNoWaiter() async throws {
        let job = try unfinishedJob()
        let service = self.service
        async let waiting = Self.poll(service, job, wait: 20)
        for _ in 0..<2000 where completions.registrations == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(completions.registrations == 1)
        // Finish it as the replica holding it would: write the result, then signal.
        let store = JobStore(connection: try service.connect())
        let attempt = try #require(
            try store.start(id: job.id, lease: JobLease(owner: "elsewhere", duration: .seconds(60))))
        let result = ProcessedImage(
            bytes: TestImages.colorfulPNG(width: 8, height: 8), info: ImageInfo(format: .png, width: 8, height: 8))
        #expect(try store.complete(attempt, result: result))
        completions.jobFinished(job.id)
        let answer = try await waiting
        #expect(try answer.json()["status"] as? String == "completed")
        #expect(completions.registrations == 0)
    }
}
