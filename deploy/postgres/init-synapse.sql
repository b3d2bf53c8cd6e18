-- Run once, when the PostgreSQL volume is created (docker-entrypoint-initdb.d): Synapse's
-- database beside the bot's (traam). Synapse requires the C collation.
CREATE DATABASE synapse OWNER traam ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
