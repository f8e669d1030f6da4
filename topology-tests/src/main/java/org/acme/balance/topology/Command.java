package org.acme.balance.topology;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs an external command, bounded in time; its output goes through files, so nothing can block on a pipe. */
final class Command {

    private Command() {
    }

    /** Runs COMMAND in DIR with ENV added; returns its standard output, fails with all its output when it fails. */
    static String run(List<String> command, Path dir, Map<String, String> env, long timeoutSeconds) {
        String shown = String.join(" ", command);
        try {
            Path output = Files.createTempFile("command-", ".out");
            Path errors = Files.createTempFile("command-", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectOutput(output.toFile()).redirectError(errors.toFile());
                builder.environment().putAll(env);
                Process process = builder.start();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException(shown + " did not finish in " + timeoutSeconds + " s");
                }
                String out = Files.readString(output);
                if (process.exitValue() != 0) {
                    throw new IllegalStateException(shown + " failed (" + process.exitValue() + "):\n" + out
                            + Files.readString(errors));
                }
                return out;
            } finally {
                Files.deleteIfExists(output);
                Files.deleteIfExists(errors);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
