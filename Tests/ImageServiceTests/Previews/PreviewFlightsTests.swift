import Foundation
import Synchronization
import Testing

@testable import ImageService
@testable import Imaging

@Suite(.timeLimit(.minutes(1))) struct PreviewFlightsTests {
    private let key = PreviewKey(id: UUID(), kind: .original, size: 256)
    private let image = StoredImage(bytes: [1, 2, 3], format: .png)
    private let corrupt = ImageError(code: .corrupt, message: "not a JPEG after all")

    /// A clock the test moves by hand.
    private final class ManualClock: Sendable {
        private let offset = Mutex(Duration.zero)
        private let start = ContinuousClock.now
        var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
        func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    }

    /// A piece of work that counts its runs and, when asked, waits to be let go.
    private final class Work: Sendable {
        private let state = Mutex((runs: 0, gate: nil as CheckedContinuation<Void, Never>?, open: false))

        var runs: Int { state.withLock { $0.runs } }

        func run() async {
            state.withLock { $0.runs += 1 }
            await withCheckedContinuation { continuation in
                let open = state.withLock { state -> Bool in
                    if !state.open { state.gate = continuation }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.open = true
                defer { state.gate = nil }
                return state.gate
            }?.resume()
        }
    }

    @Test func coalescesConcurrentRequestsIntoOneRun() async throws {
        let flights = PreviewFlights()
        let work = Work()
        let image = self.image
        let key = self.key
        let results = try await withThrowingTaskGroup(of: StoredImage.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await flights.preview(for: key) {
                        await work.run()
                        return image
                    }
                }
            }
            // Everyone is in (or about to join) the one flight; then let it land.
            for _ in 0..<2000 where work.runs == 0 { try await Task.sleep(for: .milliseconds(1)) }
            try await Task.sleep(for: .milliseconds(50))
            work.open()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: image, count: 8))
        #expect(work.runs == 1)
        #expect(flights.flightsInProgress == 0)
    }

    @Test func remembersAnImageErrorUntilItsLifetimeEnds() async throws {
        let clock = ManualClock()
        let flights = PreviewFlights(failureLifetime: .seconds(600), now: { clock.now })
        let runs = Atomic(0)
        let corrupt = self.corrupt
        let make: @Sendable () async throws -> StoredImage = {
            runs.add(1, ordering: .relaxed)
            throw corrupt
        }
        for _ in 0..<5 {
            await #expect(throws: corrupt) { try await flights.preview(for: key, make: make) }
        }
        #expect(runs.load(ordering: .relaxed) == 1)
        #expect(flights.rememberedFailure(for: key) == corrupt)
        #expect(flights.rememberedFailure(for: PreviewKey(id: key.id, kind: .original, size: 512)) == nil)
        clock.advance(.seconds(600))
        #expect(flights.rememberedFailure(for: key) == nil)
        await #expect(throws: corrupt) { try await flights.preview(for: key, make: make) }
        #expect(runs.load(ordering: .relaxed) == 2)
    }

    @Test func forgetsOutOfMemoryAndForeignErrors() async throws {
        let flights = PreviewFlights()
        let errors: [any Error] = [ImageError(code: .outOfMemory, message: "no memory"), DatabaseUnavailable()]
        for error in errors {
            let runs = Atomic(0)
            for _ in 0..<2 {
                await #expect(throws: (any Error).self) {
                    try await flights.preview(for: key) {
                        runs.add(1, ordering: .relaxed)
                        throw error
                    }
                }
            }
            #expect(runs.load(ordering: .relaxed) == 2)
        }
        #expect(flights.rememberedFailure(for: key) == nil)
    }

    @Test func remembersABoundedNumberOfFailures() async throws {
        let flights = PreviewFlights(maxRememberedFailures: 8)
        let corrupt = self.corrupt
        for _ in 0..<50 {
            let key = PreviewKey(id: UUID(), kind: .processed, size: 128)
            _ = try? await flights.preview(for: key) { throw corrupt }
        }
        #expect(flights.rememberedFailures == 8)
    }

    @Test func aSuccessIsNotKeptInMemory() async throws {
        let flights = PreviewFlights()
        let runs = Atomic(0)
        let image = self.image
        for _ in 0..<3 {
            _ = try await flights.preview(for: key) {
                runs.add(1, ordering: .relaxed)
                return image
            }
        }
        // The database keeps previews; the flights only merge the concurrent ones.
        #expect(runs.load(ordering: .relaxed) == 3)
    }
}
