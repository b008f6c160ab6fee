-- Run once by the postgres image on an empty volume (/docker-entrypoint-initdb.d).
-- One role and one database per member and one for the hub: a member's node can reach
-- only its own data, as if each institution ran its own server.
-- The passwords are for the compose demo only; change them (and the URLs in
-- docker-compose.yml) for anything else.
CREATE ROLE hub LOGIN PASSWORD 'hub-demo-password';
CREATE DATABASE hub OWNER hub;

CREATE ROLE northu LOGIN PASSWORD 'northu-demo-password';
CREATE DATABASE northu OWNER northu;

CREATE ROLE southc LOGIN PASSWORD 'southc-demo-password';
CREATE DATABASE southc OWNER southc;

CREATE ROLE eastc LOGIN PASSWORD 'eastc-demo-password';
CREATE DATABASE eastc OWNER eastc;

-- Nobody but the owner connects to a member's database.
REVOKE CONNECT ON DATABASE hub, northu, southc, eastc FROM PUBLIC;
