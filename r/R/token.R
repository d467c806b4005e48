# An httr token whose access token comes from `gauth token`: httr signs
# requests with it, and after a 401 calls refresh(), which asks gauth again.
# The refresh token stays in gauth's cache; R never sees it.

GauthToken <- R6Class(
  "GauthToken",
  inherit = httr::Token2.0,
  public = list(
    # What identifies the login (no secret): issuer, client_id, account,
    # scopes, expires_at (seconds since the epoch, or NULL).
    login = NULL,

    initialize = function(query, info = NULL) {
      private$query <- query
      if (is.null(info)) info <- private$ask(refresh = FALSE)
      private$set(info)
      self$cache_path <- FALSE
      invisible(self)
    },

    init_credentials = function() {
      private$set(private$ask(refresh = FALSE))
    },

    can_refresh = function() TRUE,

    # Called by httr after a 401: the cached token was refused, so gauth is
    # asked for a new one even if its own clock says the old one is valid.
    refresh = function() {
      private$set(private$ask(refresh = TRUE))
      invisible(self)
    },

    # gauth keeps the login; httr's and gargle's caches must not.
    cache = function(path) invisible(self),
    load_from_cache = function() FALSE,

    revoke = function() {
      stop(gauth_condition(
        paste0("a gauth login is revoked by gauth: run `",
               paste(c("gauth logout", login_flags(self$login)), collapse = " "), "`"),
        "gauth_usage"
      ))
    },

    print = function(...) {
      l <- self$login
      cat("<GauthToken> (from `gauth token`; the refresh token stays in gauth's cache)\n")
      cat("  issuer:  ", esc(l$issuer), "\n", sep = "")
      cat("  client:  ", esc(l$client_id), "\n", sep = "")
      cat("  account: ", esc(l$account %||% "(not known)"), "\n", sep = "")
      cat("  scopes:  ", paste(esc(l$scopes), collapse = " "), "\n", sep = "")
      if (!is.null(l$expires_at)) {
        cat("  expires: ", format(as.POSIXct(l$expires_at, origin = "1970-01-01")), "\n", sep = "")
      }
      invisible(self)
    }
  ),
  private = list(
    query = NULL,

    ask = function(refresh) {
      args <- c("token", "--json", if (refresh) "--refresh", query_flags(private$query))
      res <- gauth_exec(args, json = "plain")
      if (res$status != 0L) stop_for_exit(res, args)
      token_info(res)
    },

    set = function(info) {
      self$credentials <- list(access_token = info$access_token,
                               token_type = "Bearer")
      self$login <- info[c("issuer", "client_id", "account", "scopes", "expires_at")]
      names(self$login) <- c("issuer", "client_id", "account", "scopes", "expires_at")
      self$app <- httr::oauth_app("gauth", key = info$client_id, secret = NULL)
      self$endpoint <- token_endpoint(info$issuer)
      self$params <- list(scope = info$scopes, as_header = TRUE)
      # From now on this token asks for exactly this login, whatever else
      # gets cached later.
      private$query <- pin_query(private$query, info)
      invisible(self)
    }
  )
)

# The parsed `gauth token --json`, checked: a request is never sent with an
# empty or malformed token.
token_info <- function(res) {
  info <- res$json
  if (is.list(info)) info$scopes <- as.character(unlist(info$scopes))
  tok <- if (is.list(info)) info$access_token
  if (!is.character(tok) || length(tok) != 1L || is.na(tok) ||
      !grepl("^[A-Za-z0-9._~+/-]+=*$", tok)) {
    stop(gauth_condition(
      "`gauth token --json` did not print an access token (is this gauth too old for the R package?)",
      "gauth_error", stderr = res$stderr
    ))
  }
  info
}

# gargle accepts a token passed as drive_auth(token =) only with Google's
# endpoints; for any other provider a descriptive endpoint (never used to
# refresh: gauth does that).
# Kept per issuer: httr builds an endpoint in about 3 ms, more than the whole
# `gauth token` call on a cache hit.
token_endpoint <- function(issuer) {
  key <- paste0("endpoint:", issuer)
  if (is.null(.gauth[[key]])) {
    .gauth[[key]] <- if (is_google(issuer)) {
      httr::oauth_endpoints("google")
    } else {
      httr::oauth_endpoint(authorize = issuer, access = issuer)
    }
  }
  .gauth[[key]]
}

# query: list(scopes, email, issuer, client_id)
query_flags <- function(q) {
  c(flag_values("--issuer", q$issuer),
    flag_values("--client-id", q$client_id),
    flag_values("--scope", q$scopes),
    flag_values("--account", q$email))
}

pin_query <- function(q, info) {
  list(
    scopes = q$scopes,
    email = info$account %||% q$email,
    issuer = info$issuer,
    client_id = info$client_id
  )
}

login_flags <- function(l) {
  c(flag_values("--issuer", l$issuer),
    flag_values("--client-id", l$client_id),
    flag_values("--account", l$account))
}

# gargle's `email` also says "no choice" (NULL, NA, TRUE, FALSE) or names a
# pattern ("*@example.com"); only a plain address picks a login.
account_arg <- function(email) {
  if (!is.character(email) || length(email) != 1L || is.na(email)) return(NULL)
  if (!grepl("@", email, fixed = TRUE) || grepl("[*?[]", email)) return(NULL)
  email
}

token <- function(scopes = NULL, email = NULL, ..., issuer = NULL,
                  client_id = NULL) {
  query <- list(scopes = scopes, email = account_arg(email), issuer = issuer,
                client_id = client_id)
  args <- c("token", "--json", query_flags(query))
  res <- gauth_exec(args, json = "plain")
  if (res$status != 0L) stop_for_exit(res, args)
  token_for(query, token_info(res))
}

# The token object for a login, given what `gauth token --json` just printed.
# One object per login (and scopes asked for) is kept and handed out again
# with the new credentials: building an R6 object on httr's Token2.0 costs
# about 0.6 ms, a third of the whole `gauth token` call, and every holder of
# the same login is better off with the freshest access token anyway.
token_for <- function(query, info) {
  pinned <- pin_query(query, info)
  key <- paste(c("token", pinned$issuer, pinned$client_id, pinned$email,
                 pinned$scopes), collapse = "\n")
  tok <- .gauth[[key]]
  if (is.null(tok)) {
    tok <- GauthToken$new(query, info)
    .gauth[[key]] <- tok
  } else if (!identical(tok$credentials$access_token, info$access_token) ||
             !identical(tok$login$expires_at, info$expires_at)) {
    tok$.__enclos_env__$private$set(info)
  }
  tok
}
