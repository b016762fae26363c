import Foundation

/// The committed fixture files in `Tests/ImageServiceTests/Fixtures` (see `make_jpeg_fixtures.sh` there).
enum FixtureFiles {
    static func bytes(_ name: String) throws -> [UInt8] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return [UInt8](try Data(contentsOf: directory.appendingPathComponent("Fixtures").appendingPathComponent(name)))
    }
}
