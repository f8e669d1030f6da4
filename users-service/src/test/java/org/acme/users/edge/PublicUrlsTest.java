package org.acme.users.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Optional;
import org.acme.users.config.UsersConfig;
import org.junit.jupiter.api.Test;

/** Which hosts Location may name (HostileInputTest and EdgeIT check Location over HTTP). */
class PublicUrlsTest {

    static PublicUrls urls(String base, String hosts) {
        PublicUrls urls = new PublicUrls();
        urls.config = config(base, hosts);
        urls.init();
        return urls;
    }

    /** The two settings PublicUrls reads; the others are not asked for. */
    static UsersConfig config(String base, String hosts) {
        return (UsersConfig) Proxy.newProxyInstance(UsersConfig.class.getClassLoader(), new Class<?>[] {UsersConfig.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "publicBaseUrl" -> Optional.ofNullable(base);
                    case "allowedHosts" -> hosts;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void onlyListedNamesWithAValidPortAreAllowed() {
        PublicUrls urls = urls(null, "localhost, 127.0.0.1 api.example.org");
        assertTrue(urls.allowed("localhost:8080"));
        assertTrue(urls.allowed("API.example.org"));
        assertTrue(urls.allowed("127.0.0.1"));
        assertFalse(urls.allowed("evil.example"));
        assertFalse(urls.allowed("localhost.evil.example"));
        assertFalse(urls.allowed("localhost:0"));
        assertFalse(urls.allowed("localhost:65536"));
        assertFalse(urls.allowed("localhost@evil.example"));
        assertFalse(urls.allowed("localhost/evil"));
        assertFalse(urls.allowed(""));
    }

    @Test
    void aPublicBaseUrlMustBeAnAbsoluteHttpUrl() {
        assertThrows(IllegalArgumentException.class, () -> urls("ftp://x.example", "localhost"));
        assertThrows(IllegalArgumentException.class, () -> urls("/relative", "localhost"));
        assertEquals("https://api.example.org", urls("https://api.example.org/", "localhost").base);
    }
}
