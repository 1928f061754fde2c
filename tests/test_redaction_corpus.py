"""A corpus of secret-bearing and benign log lines, run through a real ``setup_logger``.

Every secret line is logged in a temp project (packaged rules, console and file handlers)
and each secret it carries must be absent from both the console (stderr) and the log file;
every benign line must come out unchanged. Lines rotate over the loggers that emit such
text in real runs (``urllib3.connectionpool``, ``requests``, ``zeep.transports``, root).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from project_factory import make_project, write_json

import txo_runtime
from txo_runtime.logger import reset_logging, setup_logger

DATA = Path(txo_runtime.__file__).parent / "data"
LOGGERS = ["txo", "urllib3.connectionpool", "requests", "zeep.transports", ""]

JWT = (
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcHAiLCJ0aWQiOiJ0ZW5hbnQifQ"
    ".c2lnbmF0dXJlX29mX3RoZV90b2tlbg"
)
OPAQUE_40 = "q8Fz2LmX9vR4pW6sY1nB3kD7fH5jG0cA2eT9uI4o"
STORAGE_KEY = (
    "Xk3Lq9Zp2Rv8Tw4Ny6Bm1Hc5Jd7Gf0Sa3Qe9Wr2Ty8Ui4Op6As1Df5Gh7Jk0Lz3Xc9Vb2Nm8Qw4Er6Ty1Ui5Op7A"
    "s0Df3Gh=="
)
ENTRA_SECRET = "Zq78Q~Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z.A"
PRIVATE_KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"

# (id, line, secrets that must not appear)
SECRET_LINES: list[tuple[str, str, list[str]]] = [
    (
        "github-token",
        "git remote set-url origin with ghp_R8mQ2xLk9Vt4Wn7Zp1Sd5Fg3Hj6Kb0Nc2Ye8A",
        ["ghp_R8mQ2xLk9Vt4Wn7Zp1Sd5Fg3Hj6Kb0Nc2Ye8A"],
    ),
    (
        "slack-bot-token",
        "posting with xoxb-2417-8823-Qw3RtY7uIo9P",
        ["xoxb-2417-8823-Qw3RtY7uIo9P"],
    ),
    ("openai-key", "OPENAI key sk-proj-Ab3dE5fG7hJ9kL1mN3pQ5r", ["sk-proj-Ab3dE5fG7hJ9kL1mN3pQ5r"]),
    ("aws-access-key-id", "aws id AKIAZ7Q4M2X9L5T8W3RB in use", ["AKIAZ7Q4M2X9L5T8W3RB"]),
    (
        "shared-key-header",
        "Authorization: SharedKey acmestorage:q9Lr2Vx8Tn4Kp7Wm1Zs5=",
        ["acmestorage:q9Lr2Vx8Tn4Kp7Wm1Zs5="],
    ),
    (
        "shared-key-in-http-client-send",
        "send: b'PUT /c/blob HTTP/1.1\\r\\nAuthorization: SharedKey acct:Wq3Zr8Lk2Vn7Tx\\r\\n'",
        ["Wq3Zr8Lk2Vn7Tx"],
    ),
    ("bearer-jwt-header", f"Authorization: Bearer {JWT}", [JWT, JWT.split(".")[1]]),
    (
        "http-client-send-debug",
        "send: b'GET /odata/Customers HTTP/1.1\\r\\nHost: api.example.com\\r\\n"
        "Authorization: Bearer 8fJk2LmQ9xW4vT7pR1sZ\\r\\nAccept: */*\\r\\n\\r\\n'",
        ["8fJk2LmQ9xW4vT7pR1sZ"],
    ),
    (
        "requests-headers-repr",
        "Request headers: {'User-Agent': 'python-requests/2.32.3', 'Accept-Encoding': "
        "'gzip', 'Authorization': 'Bearer Zx8Kq2Lm9Wv4Tp7Rs1Nd', 'Connection': 'keep-alive'}",
        ["Zx8Kq2Lm9Wv4Tp7Rs1Nd"],
    ),
    ("basic-header", "Authorization: Basic dXNlcjpodW50ZXIyMjI=", ["dXNlcjpodW50ZXIyMjI"]),
    (
        "basic-anywhere",
        "retrying with Basic c3ZjOlRyMHViNGRvcg== after 401",
        ["c3ZjOlRyMHViNGRvcg"],
    ),
    ("token-header-bearer", "Token: Bearer abcdEFGH1234", ["abcdEFGH1234"]),
    ("jwt-bare", f"decoded nothing from {JWT} (expired)", [JWT, JWT.split(".")[1]]),
    ("json-password", '{"username": "svc", "password": "Tr0ub4dor&3"}', ["Tr0ub4dor&3"]),
    (
        "json-client-secret",
        '{"client_id": "abc", "client_secret": "s3cr3t-Value-42"}',
        ["s3cr3t-Value-42"],
    ),
    (
        "token-response-json",
        json.dumps({"token_type": "Bearer", "expires_in": 3599, "access_token": JWT}),
        [JWT],
    ),
    (
        "refresh-token-json",
        '{"refresh_token": "0.AXkA1b2C3d4E5f6G7h8I9j0K", "id_token": "idTok-Value-77"}',
        ["0.AXkA1b2C3d4E5f6G7h8I9j0K", "idTok-Value-77"],
    ),
    (
        "config-repr-client-secret",
        repr({"global": {"client-id": "x"}, "_client_secret": "Cl13nt-S3cret-Value"}),
        ["Cl13nt-S3cret-Value"],
    ),
    (
        "config-repr-token",
        repr({"_token": "opaque-T0ken-value-99", "_env_type": "test"}),
        ["opaque-T0ken-value-99"],
    ),
    ("config-repr-az-token", repr({"_az_token": "az-cli-T0ken-12345"}), ["az-cli-T0ken-12345"]),
    ("config-repr-passwd", repr({"passwd": "OldSch00l", "user": "x"}), ["OldSch00l"]),
    (
        "kwargs-repr",
        "OAuthConfig(client_id='abc', client_secret='Kw4rgS3cret', scope='x')",
        ["Kw4rgS3cret"],
    ),
    (
        "query-api-key",
        "GET https://api.example.com/data?api_key=AbC123xYz789&format=json",
        ["AbC123xYz789"],
    ),
    ("query-apikey", "GET /v1/rates?apikey=Zz9Yy8Xx7Ww6", ["Zz9Yy8Xx7Ww6"]),
    ("query-access-token", "GET /me?access_token=EAAB9xQz7LmN2pR4&fields=id", ["EAAB9xQz7LmN2pR4"]),
    ("header-api-key", "api-key: 9f8e7d6c5b4a3f2e", ["9f8e7d6c5b4a3f2e"]),
    ("header-x-api-key", "x-api-key: QWERTY-12345-secret", ["QWERTY-12345-secret"]),
    (
        "header-subscription-key",
        "{'Ocp-Apim-Subscription-Key': '0123abcd4567efgh', 'Accept': 'application/json'}",
        ["0123abcd4567efgh"],
    ),
    (
        "form-body-client-secret",
        "body=grant_type=client_credentials&client_id=abc&client_secret=Fr0mTheV4ult&scope=x",
        ["Fr0mTheV4ult"],
    ),
    ("form-body-url-encoded", "client_secret=a%2Bb%2Fc%3D%3Dxyz&x=1", ["a%2Bb%2Fc%3D%3Dxyz"]),
    (
        "sas-url-sig",
        "PUT https://acct.blob.core.windows.net/c/f.csv?sv=2022-11-02&ss=b&sig=Hx%2Bk9Lm%2FQw3E%3D",
        ["Hx%2Bk9Lm%2FQw3E%3D"],
    ),
    (
        "sql-connection-string",
        "Server=tcp:db.example.com;Database=erp;User ID=svc;Password=Pa55w0rd!Db;Encrypt=True",
        ["Pa55w0rd!Db"],
    ),
    ("odbc-pwd", "DRIVER={ODBC Driver 18};UID=sa;PWD=OdbcPwd99;", ["OdbcPwd99"]),
    (
        "storage-connection-string",
        "DefaultEndpointsProtocol=https;AccountName=acct;"
        "AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net",
        ["Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"],
    ),
    (
        "service-bus-connection-string",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;"
        "SharedAccessKey=K3yV4lu3+abc/def=",
        ["K3yV4lu3+abc/def"],
    ),
    (
        "shared-access-signature",
        "BlobEndpoint=https://a.blob.core.windows.net/;"
        "SharedAccessSignature=sv=2020-08-04&ss=b&sig=AbCdEf123%3D",
        ["AbCdEf123%3D"],
    ),
    (
        "url-userinfo-git",
        "Cloning https://deploy:gh-Pa55word@github.com/org/repo.git",
        ["gh-Pa55word"],
    ),
    ("url-userinfo-postgres", "connecting to postgres://app:S3cr3tPg@db:5432/erp", ["S3cr3tPg"]),
    ("long-opaque-key", f"Using key {OPAQUE_40} for export", [OPAQUE_40]),
    ("azure-storage-key", f"primary {STORAGE_KEY} rotated", [STORAGE_KEY[:40]]),
    (
        "github-token",
        "token for CI: ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        ["ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"],
    ),
    ("entra-client-secret", f"secret value {ENTRA_SECRET} expires 2027", [ENTRA_SECRET]),
    (
        "private-key-block",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\nAbCdEfGh\n"
        "-----END RSA PRIVATE KEY-----",
        [PRIVATE_KEY_BODY, "AbCdEfGh"],
    ),
    (
        "private-key-json-escaped",
        json.dumps({"private_key": f"-----BEGIN PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n"}),
        [PRIVATE_KEY_BODY],
    ),
    (
        "zeep-wsse-password",
        "<soap-env:Header><wsse:Security><wsse:UsernameToken><wsse:Username>svc</wsse:Username>"
        '<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-'
        'token-profile-1.0#PasswordText">SoapP4ss!</wsse:Password></wsse:UsernameToken>'
        "</wsse:Security></soap-env:Header>",
        ["SoapP4ss!"],
    ),
    (
        "xml-password",
        "<Login><User>svc</User><Password>plainXmlPw1</Password></Login>",
        ["plainXmlPw1"],
    ),
    (
        "zeep-nonce",
        '<wsse:Nonce EncodingType="...#Base64Binary">bm9uY2VWYWx1ZTEyMw==</wsse:Nonce>',
        ["bm9uY2VWYWx1ZTEyMw"],
    ),
    (
        "zeep-binary-security-token",
        '<wsse:BinarySecurityToken EncodingType="...#Base64Binary" ValueType="...#X509v3">'
        "MIIBszCCAVmgAwIBAgIUQm9ndXM</wsse:BinarySecurityToken>",
        ["MIIBszCCAVmgAwIBAgIUQm9ndXM"],
    ),
    (
        "cli-client-secret",
        "Running: python sync.py --client-secret CliS3cretVal --verbose",
        ["CliS3cretVal"],
    ),
    ("env-password", "env: DB_PASSWORD=EnvP4ssw0rd HOME=/home/svc", ["EnvP4ssw0rd"]),
    ("yaml-password", "password: yamlP4ss", ["yamlP4ss"]),
    ("colon-numeric-password", "login failed password:123456789 for svc", ["123456789"]),
    ("json-in-json", '{"body": "{\\"password\\": \\"Esc4pedPw\\"}"}', ["Esc4pedPw"]),
    ("json-signature", '{"signature": "HmacS1gnature==", "alg": "HS256"}', ["HmacS1gnature"]),
    ("cookie-header", "Cookie: session=Sess10nValue", ["Sess10nValue"]),
    (
        "camel-case-key",
        '{"clientSecret": "camelS3cret", "accessToken": "camelT0ken"}',
        ["camelS3cret", "camelT0ken"],
    ),
    (
        "aws-secret-access-key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    ),
    ("json-password-list", '{"password": ["Li5tP4ssw0rd"], "user": "svc"}', ["Li5tP4ssw0rd"]),
    (
        "json-password-object",
        '{"password": {"value": "0bjP4ssw0rd", "type": "plain"}}',
        ["0bjP4ssw0rd"],
    ),
    ("repr-password-list", "{'password': ['R3prL1stPw']}", ["R3prL1stPw"]),
    (
        "xml-cdata-password",
        "<ns0:Login><ns0:Password><![CDATA[Cd4taP4ss!]]></ns0:Password></ns0:Login>",
        ["Cd4taP4ss!"],
    ),
    (
        "nested-url-encoded-password",
        "redirect=%2Flogin%3Fuser%3Dsvc%26password%3DNestedPw9%26lang%3Den",
        ["NestedPw9"],
    ),
    (
        "nested-url-encoded-client-secret",
        "state=client_secret%3DN3stedS3cret%26scope%3Dx",
        ["N3stedS3cret"],
    ),
    (
        "url-encoded-underscore-in-key",
        "body: grant_type=client_credentials&client_id=abc&client%5Fsecret=EncUnd3rsc0re",
        ["EncUnd3rsc0re"],
    ),
    (
        "dotnet-config-add-key",
        '<appSettings><add key="Password" value="N3tCfgPw!"/>'
        "<add key='Smtp.ApiKey' value='N3tApiK3y'/></appSettings>",
        ["N3tCfgPw!", "N3tApiK3y"],
    ),
    (
        "api-key-still-a-key",
        "x_api_key=XaK3yValue99 AccountKey=AccK3yValue==;",
        ["XaK3yValue99", "AccK3yValue"],
    ),
    # credentials in URL query parameters whose names are not secret words on their own
    (
        "oauth-code-in-redirect-url",
        "GET /callback?code=0.AXEAq8Fz2LmX9vR4pW6sY1nB3kD7fH5jG0cA&state=42&session_state=x",
        ["0.AXEAq8Fz2LmX9vR4pW6sY1nB3kD7fH5jG0cA"],
    ),
    (
        "api-key-in-query",
        "GET https://api.example.com/v1/geocode?address=Main+St&key=Zq8kLm2xT9vB4nW7pR1sAbc",
        ["Zq8kLm2xT9vB4nW7pR1sAbc"],
    ),
    (
        "aws-presigned-url",
        "GET https://b.s3.amazonaws.com/f.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAZ7Q4M2X9L5T8W3RB%2F20261125%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Signature=9f2c1e8b7d6a5f4e3d2c1b0a9f8e7d6c&X-Amz-Security-Token=FwoGZXIvYXdzEJr1",
        ["AKIAZ7Q4M2X9L5T8W3RB", "9f2c1e8b7d6a5f4e3d2c1b0a9f8e7d6c", "FwoGZXIvYXdzEJr1"],
    ),
    (
        "google-signed-url",
        "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256"
        "&X-Goog-Credential=svc%40proj.iam.gserviceaccount.com%2F20261125%2Fauto"
        "&X-Goog-Signature=5e0c7a9b3d1f",
        ["svc%40proj.iam.gserviceaccount.com", "5e0c7a9b3d1f"],
    ),
    (
        "graph-token-in-query",
        "wss://graph.example.com/notify?access_token=Gr4phT0kenValue1&client_assertion="
        "Cl1entAss3rtionValue99",
        ["Gr4phT0kenValue1", "Cl1entAss3rtionValue99"],
    ),
    # custom x-...-key / x-...-token / x-...-secret headers
    ("functions-key-header", "x-functions-key: Fn4Key0AbcDefGh", ["Fn4Key0AbcDefGh"]),
    (
        "custom-headers-repr",
        "headers={'X-Acme-Api-Token': 'acmeT0k3n', 'x-partner-secret': 'p4rtnerS',"
        " 'X-Shop-Key': 'sh0pKeyV4l'}",
        ["acmeT0k3n", "p4rtnerS", "sh0pKeyV4l"],
    ),
    # 40+-character keys of any alphabet
    (
        "lower-case-and-digits-key",
        "using key q8fz2lmx9vr4pw6sy1nb3kd7fh5jg0ca2et9ui4oz now",
        ["q8fz2lmx9vr4pw6sy1nb3kd7fh5jg0ca2et9ui4oz"],
    ),
    (
        "upper-case-and-digits-key",
        "using key Q8FZ2LMX9VR4PW6SY1NB3KD7FH5JG0CA2ET9UI4OZ now",
        ["Q8FZ2LMX9VR4PW6SY1NB3KD7FH5JG0CA2ET9UI4OZ"],
    ),
    (
        "mixed-letters-only-key",
        "using key qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFg now",
        ["qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtYuIoPaSdFg"],
    ),
    # secrets told in words
    ("password-in-prose", "the password is hunter2! please change it", ["hunter2"]),
    ("secret-in-prose-quoted", 'The secret was "Xy9-abc-def".', ["Xy9-abc-def"]),
    ("api-key-in-prose", "Your new API key is set to Ak3yV4lue99", ["Ak3yV4lue99"]),
    # letters-only bearer values
    ("letters-only-bearer", "retry with Bearer abcdefghijklmnop", ["abcdefghijklmnop"]),
    # personal data on by default (cards, IBAN): customer records in ERP/CRM debug output
    ("card-in-free-text", "Payment with card: 4111-1111-1111-1111", ["4111-1111-1111-1111"]),
    (
        "card-in-json-body",
        '{"customer": "C-1001", "card": "5555 5555 5555 4444", "amount": 12.5}',
        ["5555 5555 5555 4444", "5555555555554444"],
    ),
    (
        "iban-in-csv-row",
        "1001;Ada Lovelace;DE89 3704 0044 0532 0130 00;EUR",
        ["DE89 3704 0044 0532 0130 00", "3704 0044 0532"],
    ),
    (
        "iban-in-query",
        "POST /payouts?iban=GB82WEST12345698765432&amount=100",
        ["GB82WEST12345698765432"],
    ),
]

BENIGN_LINES: list[tuple[str, str]] = [
    (
        "graph-skiptoken",
        "GET https://graph.microsoft.com/v1.0/users?$skiptoken="
        "RFNwdAIAAQAAAB8xNDk6YWJjMTIzZGVmNDU2OmdoaTc4OWprbDAxMgQ9Xz",
    ),
    (
        "graph-deltatoken",
        "delta link: /users/delta?$deltatoken=LztZwWjo5IivWBhyxw5rYBhhGh1o8vS9kH1gFxSc0Q7",
    ),
    ("cap-relative-skiptoken", "next: Customers?%24skiptoken=100 (page 2)"),
    ("task-sk-words", "task-list and risk-management-overview for desk-2024-Q3"),
    ("akia-word", "the word AKIAS is short"),
    ("scheme-word-then-key", "token_type=Bearer password_policy=strict"),
    (
        "token-request-wording",
        "Failed to acquire an authentication token (token request to https://login.example.com"
        " failed)",
    ),
    ("cap-skiptoken-top", "SAP CAP page: Customers?$skiptoken=2500&$top=100"),
    ("git-sha", "Deployed commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 to test"),
    ("guid", 'Customer 6f1c2b9e-4d3a-4e5f-8a7b-1c2d3e4f5a6b updated (etag W/"42")'),
    ("token-counters", "usage: tokens_used=5 max_tokens=100 token_type=Bearer"),
    ("timestamped-file", "Saved 1200 rows to output/acme-test_customers_2026-11-25T10-00-00.xlsx"),
    ("source-path", "Loaded /home/runner/work/txo/txo/src/txo_runtime/rest_api_helpers/_odata.py"),
    ("words-not-credentials", "Bearer authentication failed; Basic settings loaded; token expired"),
    (
        "long-words",
        "Pneumonoultramicroscopicsilicovolcanoconiosis and "
        "TestRedactionNeverLeaksSecret2InTracebackFramesAndMore",
    ),
    (
        "odata-filter",
        "GET https://api.example.com/odata/Customers?$top=100&$filter=Name eq 'O''Brien'",
    ),
    ("key-like-names", "password_policy=strict secret_name=prod-db key_vault=kv-acme"),
    ("url-without-credentials", "POST https://login.microsoftonline.com/tenant/oauth2/v2.0/token"),
    (
        "header-request-id",
        "Retry-After: 120; x-ms-request-id: 1c2d3e4f-aaaa-bbbb-cccc-123456789abc",
    ),
    ("sig-in-words", "design=v2 signal=ok; the signature appears valid"),
    # "key" alone is a key only in a configured compound (api_key, account_key ...)
    ("bare-key", '{"key": "CUST-001", "Key": 5} key: value pair'),
    ("database-keys", "x_key=alpha primary_key=CustomerNo sort_key=Name"),
    ("camel-case-keys", '{"partitionKey": "tenant-42", "sortKey": "2026-11-25"}'),
    # a shell's working directory is not an ODBC password
    ("pwd-is-a-path", "env: PWD=/home/user/work HOME=/home/user"),
    # paging cursors grant nothing by themselves (docs/logging.md)
    ("paging-cursors", '{"nextPageToken": "page2", "pageToken": "CiAK42"}'),
    ("continuation-token", "continuationToken: abc123 next_page_token=p3"),
    ("signature-human-name", "Signature: John Smith"),
    ("weak-etag", 'etag W/"JzQ0O0VnQUFBQUo3QlVNQU1RQXdBREFBTUFBd0FBQUFBQUE9MTswMDsn"'),
    (
        "business-central-odata-etag",
        '{"@odata.etag": "W/\\"JzQ0O0VnQUFBQUo3QlVNQU1RQXdBREFBTUFBd0FBQUFBQUE9MTswMDsn\\"", '
        '"number": "10000"}',
    ),
    # look-alikes of the credential classes: short query values, other x- headers, hex
    ("short-query-values", "GET /odata/Orders?code=200&key=42&auth=none HTTP/1.1"),
    ("other-custom-headers", "x-request-id: 4711 x-ratelimit-remaining: 99 x-ms-keyvault: on"),
    (
        "digest-and-guid-list",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ids "
        "6f1c2b9e-4d3a-4e5f-8a7b-1c2d3e4f5a6b-7a2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
    ),
    ("long-slug-with-digits", "exported report-2026-11-25-customers-export-final-version-2"),
    ("long-lower-case-word-run", "module txoruntimeloggerredactioncorpuscheckpointhelper"),
    (
        "prose-without-secret",
        "Password is incorrect; the token was expired; secret is missing; "
        "Access token is valid for 3599 seconds; tokens are None",
    ),
    ("bearer-words", "Bearer authorization required; bearer tokens are refreshed"),
    # personal-data look-alikes: they fail the class's check
    ("order-number-luhn-fails", "Order 4111111111111112 shipped on 2026-11-25"),
    ("ean-barcode", "Item EAN 4006381330060, IMEI 490154203237518"),
    ("iban-check-fails", "Account DE88370400440532013000 rejected"),
    ("epoch-and-compact-stamp", "ts=1733312345676 batch=20261125103006"),
    ("ssn-like-not-named", "ref 536-22-1234 (national ids are off by default)"),
    ("email-off-by-default", "reply to ada@example.com"),
]


@pytest.fixture(autouse=True)
def _clean_logging() -> object:
    reset_logging()
    yield
    reset_logging()


def _project(tmp_path: Path) -> Path:
    """A project whose console and file show the bare message, with no logger levels."""
    root = make_project(tmp_path / "project")
    config = json.loads((DATA / "logging-config.json").read_text(encoding="utf-8"))
    config["console"]["format"] = config["file"]["format"] = "%(message)s"
    config["loggers"] = {}
    write_json(root / "config" / "logging-config.json", config)
    return root


def _emit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], index: int, line: str
) -> tuple[str, str]:
    """Log ``line`` through a real setup; return (console, file) output."""
    root = _project(tmp_path)
    setup_logger(org_id="acme", root=root, debug=True)
    logging.getLogger(LOGGERS[index % len(LOGGERS)]).debug("%s", line)
    console = capsys.readouterr().err
    (log_file,) = (root / "logs").glob("acme_*.log")
    return console, log_file.read_text(encoding="utf-8")


def test_corpus_is_big_enough() -> None:
    assert len(SECRET_LINES) >= 40 and len(BENIGN_LINES) >= 10


@pytest.mark.parametrize(
    ("index", "line", "secrets"),
    [(i, line, secrets) for i, (_, line, secrets) in enumerate(SECRET_LINES)],
    ids=[case[0] for case in SECRET_LINES],
)
def test_secret_is_absent_from_console_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], index: int, line: str, secrets: list[str]
) -> None:
    console, file_text = _emit(tmp_path, capsys, index, line)
    assert "[REDACTED" in console and "[REDACTED" in file_text
    for secret in secrets:
        assert secret not in console
        assert secret not in file_text


@pytest.mark.parametrize(
    ("index", "line"),
    [(i, line) for i, (_, line) in enumerate(BENIGN_LINES)],
    ids=[case[0] for case in BENIGN_LINES],
)
def test_benign_line_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], index: int, line: str
) -> None:
    console, file_text = _emit(tmp_path, capsys, index, line)
    assert console == line + "\n"
    assert file_text == line + "\n"
