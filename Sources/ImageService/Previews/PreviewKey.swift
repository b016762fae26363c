import Foundation

/// One preview: which job, which of its images, at which size.
public struct PreviewKey: Sendable, Hashable, CustomStringConvertible {
    public var id: UUID
    public var kind: ImageKind
    public var size: Int

    public init(id: UUID, kind: ImageKind, size: Int) {
        self.id = id
        self.kind = kind
        self.size = size
    }

    public var description: String { "\(id.uuidString.lowercased())-\(kind.rawValue)-\(size)" }
}
