import Foundation

/// Runs blocking test code (socket reads, `Thread.sleep`) on a thread of its own. Swift Testing runs tests on the
/// cooperative pool, which the server under test also needs: blocking it would starve the server.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
