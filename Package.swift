// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "imageproc",
    products: [
        .executable(name: "imageproc", targets: ["imageproc"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        /// The image kernel: decode, resize, grayscale, encode over libjpeg-turbo and libpng. Pure C, no globals.
        .target(
            name: "CImageKernel",
            cSettings: [
                .unsafeFlags(["-O3", "-fno-strict-aliasing", "-Wall", "-Wextra", "-Wno-unused-parameter"])
            ],
            linkerSettings: [
                .linkedLibrary("jpeg"),
                .linkedLibrary("png16"),
                .linkedLibrary("m"),
            ]
        ),
        /// The few Linux headers Glibc's module leaves out (epoll, eventfd, TCP options).
        .target(name: "CSystemShims"),
        /// libpq, the PostgreSQL client library, as a Swift module.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        /// A PostgreSQL client over libpq: connections, results, binary values, typed errors, a pool. Knows nothing
        /// of images or jobs.
        .target(
            name: "PostgresClient",
            dependencies: ["CLibPQ"]
        ),
        /// HTTP/1.1 as values: the incremental request parser, requests and responses, multipart, media types,
        /// entity tags, canonical paths. No sockets.
        .target(name: "HTTPProtocol"),
        /// The HTTP/1.1 server on POSIX sockets: an epoll event loop, connections, the listener. Serves any
        /// ``HTTPResponder``; knows nothing of the API.
        .target(
            name: "HTTPTransport",
            dependencies: [
                "HTTPProtocol",
                "CSystemShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The Swift face of the C kernel: formats, processing options and their parsing, probes, memory estimates,
        /// typed image errors. Knows nothing of HTTP, jobs or storage.
        .target(
            name: "Imaging",
            dependencies: ["CImageKernel"]
        ),
        /// The service: the API, jobs and workers, the job store, previews, metrics, configuration.
        .target(
            name: "ImageService",
            dependencies: [
                "HTTPProtocol",
                "HTTPTransport",
                "Imaging",
                "PostgresClient",
                "CSystemShims",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The `imageproc` binary: `serve` and `process` subcommands.
        .executableTarget(
            name: "imageproc",
            dependencies: [
                "ImageService",
                "Imaging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// `kernel-peak`: one ik_process call with every allocation counted, its peak beside ik_estimate_peak's
        /// bound (the memory tests and bench/peak.sh run it).
        .executableTarget(
            name: "kernel-peak",
            dependencies: ["CImageKernel"]
        ),
        /// What several test targets share: the test database, a raw-socket HTTP client, fixture files, helpers
        /// for blocking code. Depends on no layer above the PostgreSQL client.
        .target(
            name: "TestSupport",
            dependencies: ["PostgresClient"],
            path: "Tests/TestSupport",
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "HTTPProtocolTests",
            dependencies: ["HTTPProtocol"]
        ),
        .testTarget(
            name: "HTTPTransportTests",
            dependencies: [
                "HTTPTransport", "HTTPProtocol", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["PostgresClient", "TestSupport"]
        ),
        .testTarget(
            name: "ImagingTests",
            dependencies: ["Imaging", "CImageKernel", "TestSupport"]
        ),
        .testTarget(
            name: "ImageServiceTests",
            dependencies: [
                "ImageService", "Imaging", "HTTPProtocol", "HTTPTransport", "PostgresClient", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
