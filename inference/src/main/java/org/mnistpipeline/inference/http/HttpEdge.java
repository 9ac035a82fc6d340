package org.mnistpipeline.inference.http;

import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.mnistpipeline.MnistException.Kind;
import org.mnistpipeline.RequestException;

/**
 * The HTTP contract of the model server and the Lambda function, written once: routing (404 naming
 * the routes, 405 with {@code Allow}, HEAD wherever GET), the one exception→status step
 * ({@link HttpErrors}) with its log policy, and the headers every answer carries. Each carrier
 * (the server's exchange, a function URL event) adapts its request to an {@link HttpRequest} and
 * writes the {@link Answer}; route handlers return a response or throw, and never write themselves.
 * Rules that apply to every request (admission, limits) belong here, so they land on both edges.
 */
public final class HttpEdge {
    /** Route label of a path no route matches; bounds the metric series with the routes' own. */
    public static final String UNMATCHED = "other";
    /** Every answer: no content sniffing, no caching unless the route says otherwise. */
    private static final Map<String, String> DEFAULT_HEADERS = Map.of("x-content-type-options", "nosniff",
            "cache-control", "no-store");

    /** Answers one request; may throw, as {@link HttpErrors} maps it. */
    @FunctionalInterface
    public interface Handler {
        HttpResponse handle(HttpRequest request);
    }

    /**
     * One route.
     *
     * @param path   the path, or its prefix when {@code prefix}
     * @param shown  how the 404 message names it, e.g. {@code /predictions/{sha256}}
     * @param label  the metric and log label (a bounded set)
     */
    public record Route(String method, String path, boolean prefix, String shown, String label, Handler handler) {
        public static Route get(String path, String label, Handler handler) {
            return new Route("GET", path, false, path, label, handler);
        }

        public static Route post(String path, String label, Handler handler) {
            return new Route("POST", path, false, path, label, handler);
        }

        boolean matches(String requestPath) {
            return prefix ? requestPath.startsWith(path) : requestPath.equals(path);
        }

        /** HEAD is answered wherever GET is, as HTTP requires. */
        boolean allows(String requestMethod) {
            return method.equals(requestMethod) || (method.equals("GET") && requestMethod.equals("HEAD"));
        }

        String allowHeader() {
            return method.equals("GET") ? "GET, HEAD" : method;
        }
    }

    /**
     * What became of a request.
     *
     * @param route the matched route's label, or {@value #UNMATCHED}
     * @param error what was thrown, or null when the handler answered
     */
    public record Answer(String route, HttpResponse response, Throwable error) {}

    private final List<Route> routes;
    private final String notFoundHint;

    /** {@code who} names the edge in a 404 ("this server", "this function"). */
    public HttpEdge(String who, List<Route> routes) {
        this.routes = List.copyOf(routes);
        StringJoiner shown = new StringJoiner(", ", "; " + who + " answers ", "");
        for (Route r : this.routes) {
            shown.add(r.method() + " " + r.shown());
        }
        this.notFoundHint = shown.toString();
    }

    /**
     * Routes the request and answers it; never throws. Several routes may share a path with different
     * methods ({@code GET /} the page, {@code POST /} a prediction): the first that matches path and
     * method answers; a path matched only by other methods' routes is a 405 whose {@code Allow} lists them all.
     */
    public Answer handle(HttpRequest request, HttpErrors.Log log) {
        Route route = null;
        String label = UNMATCHED;
        String allow = null;
        for (Route r : routes) {
            if (r.matches(request.path())) {
                if (r.allows(request.method())) {
                    route = r;
                    label = r.label();
                    break;
                }
                label = allow == null ? r.label() : label;
                allow = allow == null ? r.allowHeader() : allow + ", " + r.allowHeader();
            }
        }
        return answer(label, route, allow, notFoundHint, request, log);
    }

    /** Answers a request with one handler, without routing (a direct Lambda invocation). */
    public static Answer answer(String label, Handler handler, HttpRequest request, HttpErrors.Log log) {
        return answer(label, new Route(request.method(), request.path(), false, "", label, handler), null, "",
                request, log);
    }

    /**
     * {@code route} null: 405 with {@code allow} when other methods' routes matched the path, else 404.
     * No lambdas on this path: each would be one more class to spin up at a function's cold start.
     */
    private static Answer answer(String label, Route route, String allow, String notFoundHint, HttpRequest request,
            HttpErrors.Log log) {
        try {
            if (route == null && allow != null) {
                throw new RequestException.MethodNotAllowed(request.method(), request.path(), allow);
            }
            if (route == null) {
                throw new RequestException(Kind.NOT_FOUND, "no such path: " + request.path() + notFoundHint);
            }
            if (!route.allows(request.method())) {
                throw new RequestException.MethodNotAllowed(request.method(), request.path(), route.allowHeader());
            }
            return new Answer(label, withDefaults(route.handler().handle(request)), null);
        } catch (Throwable e) {
            HttpErrors.log(e, request.method() + " " + request.path(), log);
            return new Answer(label, withDefaults(HttpErrors.response(e)), e);
        }
    }

    private static HttpResponse withDefaults(HttpResponse response) {
        if (response.headers().isEmpty()) {
            return new HttpResponse(response.status(), response.contentType(), response.body(), DEFAULT_HEADERS,
                    response.images(), response.cachedImages());
        }
        Map<String, String> all = new java.util.HashMap<>(DEFAULT_HEADERS);
        all.putAll(response.headers());
        return new HttpResponse(response.status(), response.contentType(), response.body(), Map.copyOf(all),
                response.images(), response.cachedImages());
    }
}
