import Testing

/// The tests of `Sources/ImageService/Imaging`, one suite per file inside this one, so that
/// `swift test --filter Imaging` selects exactly them.
@Suite enum Imaging {}
