import Foundation
import Testing

@testable import ImageService
@testable import TestSupport

/// A worker whose write meets a database that cannot take it right now (here: read-only, as after a failover).
@Suite struct WorkerPoolUnavailableDatabaseTests {
    /// Found by attacking a running server: a job in flight when the database turned read-only was dropped by its
    /// worker ("database statement failed") and finished only after its lease ran out, on a second attempt. The
    /// worker should keep the job and retry until the database takes writes again.
    @Test func aJobInFlightWhenTheDatabaseTurnsReadOnlyFinishesOnItsFirstAttempt() async throws {
        try await TestRole.withService(configure: { $0.workers = 1 }) { role, service in
            // Every UPDATE of a job waits for the test's advisory lock, so the worker is caught mid-write.
            let key = Int.random(in: 1...Int(Int32.max))
            let holder = try service.connect()
            try holder.query(
                """
                CREATE FUNCTION \(role.schema).wait_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_advisory_xact_lock(\(key)); RETURN NEW; END $$
                """)
            try holder.query(
                """
                CREATE TRIGGER wait_for_test BEFORE UPDATE ON \(role.schema).processed_images
                FOR EACH ROW EXECUTE FUNCTION \(role.schema).wait_for_test()
                """)
            try holder.query("SELECT pg_advisory_lock($1)", [key])
            let upload = try service.client().request(
                "POST", "/api/images?op=grayscale", headers: [("Content-Type", "image/png")],
                body: TestImages.colorfulPNG(width: 40, height: 30))
            let id = try #require(try upload.json()["id"] as? String)
            let watcher = try service.connect()
            let deadline = ContinuousClock.now + .seconds(10)
            while try watcher.query(
                "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND usename = $2",
                [holder.backendPID, role.name]
            ).int(0, 0) == 0, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }

            try role.alter("SET default_transaction_read_only = on")
            try role.terminateSessions()
            try holder.query("SELECT pg_advisory_unlock($1)", [key])
            Thread.sleep(forTimeInterval: 0.5)
            try role.alter("RESET default_transaction_read_only")

            // Well within the test service's 10 s lease: no second attempt can have finished it.
            let status = try service.client().request("GET", "/api/images/\(id)?wait=5").json()
            #expect(status["status"] as? String == "completed")
            #expect(status["attempts"] as? Int == 1)
        }
    }
}
