import Foundation

/// The committed fixture files in `Tests/TestSupport/Fixtures` (see `make_jpeg_fixtures.sh` there).
enum FixtureFiles {
    static func bytes(_ name: String) throws -> [UInt8] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return [UInt8](try Data(contentsOf: directory.appendingPathComponent("Fixtures").appendingPathComponent(name)))
    }
}

/// Hostile JPEGs made from the fixtures by repeating scans, as a crafted file does to multiply the decoding work.
enum RepeatedScans {
    /// The byte ranges of the scans of `jpeg`, each from its SOS marker to the marker after its entropy-coded
    /// data (0xFF followed by neither a stuffed 0x00 nor a restart marker).
    static func scans(of jpeg: [UInt8]) -> [Range<Int>] {
        var scans: [Range<Int>] = []
        var index = 0
        while index + 1 < jpeg.count {
            guard jpeg[index] == 0xFF, jpeg[index + 1] == 0xDA else {
                index += 1
                continue
            }
            var end = index + 2
            while end + 1 < jpeg.count
                && !(jpeg[end] == 0xFF && jpeg[end + 1] != 0x00 && !(0xD0...0xD7).contains(jpeg[end + 1]))
            {
                end += 1
            }
            scans.append(index..<end)
            index = end
        }
        return scans
    }

    /// `jpeg` with its scan number `scan` (0-based; -1 for the last) repeated `times` more times after itself.
    static func jpeg(_ jpeg: [UInt8], repeatingScan scan: Int, times: Int) -> [UInt8] {
        let all = scans(of: jpeg)
        let range = all[scan < 0 ? all.count + scan : scan]
        let copies = (0..<times).flatMap { _ in jpeg[range] }
        return Array(jpeg[..<range.upperBound]) + copies + Array(jpeg[range.upperBound...])
    }

    /// The hostile file of issue 12: a progressive 4:2:0 JPEG whose last scan (a luma AC refinement, Ah 1 Al 0)
    /// comes 490 more times; each repeat re-walks every luma coefficient.
    static func repeatedRefinement() throws -> [UInt8] {
        try jpeg(FixtureFiles.bytes("texture-progressive.jpg"), repeatingScan: -1, times: 490)
    }
}
