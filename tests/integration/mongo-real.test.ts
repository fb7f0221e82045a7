// The MongoSource cases on a real server: set MONGODB_URL (e.g. mongodb://127.0.0.1:27017) to run
// them. Every case gets a fresh database named runboard_test_<random>, dropped when it ends.
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { mongoSourceCases } from "../support/mongo-cases.js";

const url = process.env.MONGODB_URL?.trim();

if (!url) {
  describe("MongoSource on a real MongoDB server", () => {
    it.skip("MONGODB_URL is not set: set it to a server this test may create and drop databases on");
  });
} else {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, appName: "runboard-tests" });
  before(() => client.connect());
  after(() => client.close());

  mongoSourceCases("a real MongoDB server", async (docsByCollection) => {
    const db = client.db(`runboard_test_${randomBytes(6).toString("hex")}`);
    for (const [name, docs] of Object.entries(docsByCollection)) {
      if (docs.length > 0) await db.collection(name).insertMany(docs);
      else await db.createCollection(name);
    }
    return {
      db,
      insert: async (collection, docs) => {
        await db.collection(collection).insertMany(docs);
      },
      update: async (collection, field, value, set) => {
        await db.collection(collection).updateMany({ [field]: value }, { $set: set });
      },
      cleanup: async () => {
        await db.dropDatabase();
      },
    };
  });
}
