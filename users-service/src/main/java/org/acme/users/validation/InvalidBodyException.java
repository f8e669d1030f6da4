package org.acme.users.validation;

/** A request body refused before it is parsed (encoding, size, media type); ProblemMappers turns it into a problem. */
public class InvalidBodyException extends RuntimeException {

    public final int status;
    public final String type;
    public final String title;

    public InvalidBodyException(int status, String type, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
    }

    public static InvalidBodyException tooLarge(long limit) {
        return new InvalidBodyException(413, "too-large", "Content Too Large",
                "the request body is over " + limit / 1024 + " KiB");
    }
}
