import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Runs mongo-java-server (Maven Central, de.bwaldvogel) on a loopback port, for
 * Ledger's embedded read store. Only a launcher: the server is the library's.
 * Usage: java -cp 'lib/*' MongoWireServer.java <port> memory|h2 [h2-file]
 * Stops on SIGTERM (the JVM's shutdown hook closes the backend, so H2 flushes).
 * Ledger starts it with a parent-death signal, so it does not outlive Ledger.
 */
public class MongoWireServer {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String backendName = args.length > 1 ? args[1] : "memory";
        MongoBackend backend = switch (backendName) {
            case "memory" -> new MemoryBackend();
            case "h2" -> new H2Backend(args[2]);
            default -> throw new IllegalArgumentException("backend must be memory or h2: " + backendName);
        };
        MongoServer server = new MongoServer(backend);
        server.bind("127.0.0.1", port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
        System.err.println("mongo-java-server " + backendName + " listening on 127.0.0.1:" + port);
        Thread.currentThread().join();
    }
}
