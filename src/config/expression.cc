// The predicate and metric-expression languages of the config. Hand-written because they are
// tiny, must report errors by column, and compile to a form evaluated per event on the hot path.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "vigil/config.h"

namespace vigil {
namespace {

// Bounds on what a config may ask the parsers to build: the parsers and the evaluation recurse,
// so an unbounded depth or length would overflow the stack instead of failing with a message.
constexpr size_t kMaxTokens = 10000;
constexpr int kMaxNesting = 64;

struct Token {
  enum Kind { kName, kString, kNumber, kOp, kEnd } kind;
  std::string text;
  double number = 0;
  size_t column = 0;  // 1-based
};

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.column = i + 1;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) {
        ++j;
      }
      t.kind = Token::kName;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() &&
                std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t j = i;
      while (j < s.size() &&
             (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == 'e' ||
              s[j] == 'E' ||
              ((s[j] == '-' || s[j] == '+') && j > i && (s[j - 1] == 'e' || s[j - 1] == 'E')))) {
        ++j;
      }
      t.kind = Token::kNumber;
      t.text = std::string(s.substr(i, j - i));
      auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), t.number);
      if (ec != std::errc() || p != t.text.data() + t.text.size()) {
        return ConfigError("bad number '" + t.text + "' at column " + std::to_string(i + 1));
      }
      i = j;
    } else if (c == '\'' || c == '"') {
      size_t j = s.find(c, i + 1);
      if (j == std::string_view::npos) {
        return ConfigError("unterminated string at column " + std::to_string(i + 1));
      }
      t.kind = Token::kString;
      t.text = std::string(s.substr(i + 1, j - i - 1));
      i = j + 1;
    } else {
      static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "&&", "||"};
      t.kind = Token::kOp;
      t.text = std::string(1, c);
      for (std::string_view op : kTwo) {
        if (s.substr(i, 2) == op) t.text = std::string(op);
      }
      if (t.text.size() == 1 &&
          std::string_view("<>()[],!+-*/=").find(c) == std::string_view::npos) {
        return ConfigError(std::string("unexpected character '") + c + "' at column " +
                           std::to_string(i + 1));
      }
      if (t.text == "=") t.text = "==";
      i += t.text == "==" && s.substr(i, 2) != "==" ? 1 : t.text.size();
    }
    out.push_back(std::move(t));
    if (out.size() > kMaxTokens) {
      return ConfigError("longer than " + std::to_string(kMaxTokens) + " tokens at column " +
                         std::to_string(i) + "; split it into simpler metrics");
    }
  }
  Token end;
  end.kind = Token::kEnd;
  end.column = s.size() + 1;
  out.push_back(end);
  return out;
}

// Counts one level of nesting (a parenthesis, a `not`, a unary minus) for as long as it lives.
class NestingGuard {
 public:
  explicit NestingGuard(int* depth) : depth_(depth) { ++*depth_; }
  ~NestingGuard() { --*depth_; }
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;
  bool too_deep() const { return *depth_ > kMaxNesting; }

 private:
  int* depth_;
};

std::string TooDeep() { return "nested more than " + std::to_string(kMaxNesting) + " levels deep"; }

std::string Trimmed(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Predicates

struct Predicate::Node {
  enum Kind { kAnd, kOr, kNot, kString, kNumber, kFlag, kTrue } kind = kTrue;
  enum Role { kDimension, kAttribute, kMeasure, kFlagField, kDevice, kRequest } role = kDimension;
  int index = 0;
  enum Op { kEq, kNe, kLt, kLe, kGt, kGe, kIn } op = kEq;
  std::vector<std::string> strings;  // kString: one value, or the set for `in`
  double number = 0;
  bool flag_value = true;
  std::vector<std::shared_ptr<const Node>> children;
};

namespace {

using PNode = Predicate::Node;

class PredicateParser {
 public:
  PredicateParser(std::vector<Token> tokens, const InputMapping& mapping)
      : tokens_(std::move(tokens)), mapping_(mapping) {}

  Result<std::shared_ptr<const PNode>> Parse() {
    VIGIL_ASSIGN_OR_RETURN(auto node, Or());
    if (Peek().kind != Token::kEnd) return Error("unexpected '" + Peek().text + "'");
    return node;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  Token Next() { return tokens_[pos_++]; }
  bool IsWord(const char* w) const { return Peek().kind == Token::kName && Peek().text == w; }
  bool IsOp(const char* op) const { return Peek().kind == Token::kOp && Peek().text == op; }
  Status Error(const std::string& why) const {
    return ConfigError(why + " at column " + std::to_string(Peek().column));
  }

  Result<std::shared_ptr<const PNode>> Or() {
    VIGIL_ASSIGN_OR_RETURN(auto left, And());
    while (IsWord("or") || IsOp("||")) {
      Next();
      VIGIL_ASSIGN_OR_RETURN(auto right, And());
      auto n = std::make_shared<PNode>();
      n->kind = PNode::kOr;
      n->children = {left, right};
      left = n;
    }
    return left;
  }
  Result<std::shared_ptr<const PNode>> And() {
    VIGIL_ASSIGN_OR_RETURN(auto left, Not());
    while (IsWord("and") || IsOp("&&")) {
      Next();
      VIGIL_ASSIGN_OR_RETURN(auto right, Not());
      auto n = std::make_shared<PNode>();
      n->kind = PNode::kAnd;
      n->children = {left, right};
      left = n;
    }
    return left;
  }
  Result<std::shared_ptr<const PNode>> Not() {
    if (IsWord("not") || IsOp("!")) {
      Next();
      NestingGuard guard(&depth_);
      if (guard.too_deep()) return Error(TooDeep());
      VIGIL_ASSIGN_OR_RETURN(auto inner, Not());
      auto n = std::make_shared<PNode>();
      n->kind = PNode::kNot;
      n->children = {inner};
      return std::shared_ptr<const PNode>(n);
    }
    return Primary();
  }
  Result<std::shared_ptr<const PNode>> Primary() {
    if (IsOp("(")) {
      Next();
      NestingGuard guard(&depth_);
      if (guard.too_deep()) return Error(TooDeep());
      VIGIL_ASSIGN_OR_RETURN(auto inner, Or());
      if (!IsOp(")")) return Error("expected ')'");
      Next();
      return inner;
    }
    if (IsWord("true")) {
      Next();
      return std::shared_ptr<const PNode>(std::make_shared<PNode>());
    }
    if (Peek().kind != Token::kName) return Error("expected a field name");
    Token field = Next();
    auto n = std::make_shared<PNode>();
    VIGIL_RETURN_IF_ERROR(Resolve(field, n.get()));
    if (n->role == PNode::kFlagField) {
      n->kind = PNode::kFlag;
      if (IsOp("==") || IsOp("!=")) {
        bool negate = Next().text == "!=";
        if (!IsWord("true") && !IsWord("false")) return Error("a flag compares with true or false");
        n->flag_value = (Next().text == "true") != negate;
      }
      return std::shared_ptr<const PNode>(n);
    }
    if (IsWord("in")) {
      Next();
      if (n->role == PNode::kMeasure) return Error("'in' applies to strings");
      if (!IsOp("[")) return Error("expected '[' after 'in'");
      Next();
      n->kind = PNode::kString;
      n->op = PNode::kIn;
      while (!IsOp("]")) {
        if (Peek().kind == Token::kEnd) return Error("expected ']'");
        Token v = Next();
        if (v.kind == Token::kOp) return Error("expected a value in the list");
        n->strings.push_back(v.text);
        if (IsOp(",")) Next();
      }
      Next();
      return std::shared_ptr<const PNode>(n);
    }
    if (Peek().kind != Token::kOp ||
        std::string_view("== != < <= > >=").find(Peek().text) == std::string_view::npos) {
      return Error("expected a comparison after '" + field.text + "'");
    }
    std::string op = Next().text;
    n->op = op == "=="   ? PNode::kEq
            : op == "!=" ? PNode::kNe
            : op == "<"  ? PNode::kLt
            : op == "<=" ? PNode::kLe
            : op == ">"  ? PNode::kGt
                         : PNode::kGe;
    // Checked before it is consumed: an error names the column of the token it is at.
    if (Peek().kind == Token::kEnd || Peek().kind == Token::kOp) return Error("expected a value");
    Token value = Next();
    if (n->role == PNode::kMeasure) {
      if (value.kind != Token::kNumber) {
        return Error("measure '" + field.text + "' compares with a number");
      }
      n->kind = PNode::kNumber;
      n->number = value.number;
    } else {
      if (n->op != PNode::kEq && n->op != PNode::kNe) {
        return Error("string field '" + field.text + "' supports ==, != and in");
      }
      n->kind = PNode::kString;
      n->strings = {value.text};
    }
    return std::shared_ptr<const PNode>(n);
  }

  Status Resolve(const Token& t, PNode* n) {
    auto find = [&](const std::vector<FieldSpec>& v) {
      for (size_t i = 0; i < v.size(); ++i)
        if (v[i].name == t.text) return static_cast<int>(i);
      return -1;
    };
    if ((n->index = find(mapping_.dimensions)) >= 0)
      n->role = PNode::kDimension;
    else if ((n->index = find(mapping_.attributes)) >= 0)
      n->role = PNode::kAttribute;
    else if ((n->index = find(mapping_.measures)) >= 0)
      n->role = PNode::kMeasure;
    else if ((n->index = find(mapping_.flags)) >= 0)
      n->role = PNode::kFlagField;
    else if (t.text == "device_id")
      n->role = PNode::kDevice;
    else if (t.text == "request_id")
      n->role = PNode::kRequest;
    else {
      return ConfigError("unknown field '" + t.text + "' at column " + std::to_string(t.column) +
                         " (fields are the names under input: dimensions, measures, flags, "
                         "attributes)");
    }
    return Status::Ok();
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  const InputMapping& mapping_;
};

bool Eval(const PNode& n, const Event& e) {
  switch (n.kind) {
    case PNode::kTrue:
      return true;
    case PNode::kAnd:
      return Eval(*n.children[0], e) && Eval(*n.children[1], e);
    case PNode::kOr:
      return Eval(*n.children[0], e) || Eval(*n.children[1], e);
    case PNode::kNot:
      return !Eval(*n.children[0], e);
    case PNode::kFlag: {
      FlagValue f = e.flags[n.index];
      return f != FlagValue::kMissing && (f == FlagValue::kTrue) == n.flag_value;
    }
    case PNode::kNumber: {
      double v = e.measures[n.index];
      if (std::isnan(v)) return false;
      switch (n.op) {
        case PNode::kLt:
          return v < n.number;
        case PNode::kLe:
          return v <= n.number;
        case PNode::kGt:
          return v > n.number;
        case PNode::kGe:
          return v >= n.number;
        case PNode::kEq:
          return v == n.number;
        default:
          return v != n.number;
      }
    }
    case PNode::kString: {
      std::string_view v;
      switch (n.role) {
        case PNode::kDimension:
          v = e.dimensions[n.index];
          break;
        case PNode::kAttribute:
          v = e.attributes[n.index];
          break;
        case PNode::kDevice:
          v = e.device_id;
          break;
        case PNode::kRequest:
          v = e.request_id;
          break;
        default:
          return false;
      }
      if (v.empty()) return false;
      if (n.op == PNode::kIn) {
        for (const std::string& s : n.strings)
          if (v == s) return true;
        return false;
      }
      return (v == n.strings[0]) == (n.op == PNode::kEq);
    }
  }
  return false;
}

}  // namespace

Result<Predicate> Predicate::Compile(std::string_view text, const InputMapping& mapping) {
  std::string trimmed = Trimmed(text);
  if (trimmed.empty()) return ConfigError("empty predicate");
  VIGIL_ASSIGN_OR_RETURN(auto tokens, Tokenize(trimmed));
  PredicateParser parser(std::move(tokens), mapping);
  VIGIL_ASSIGN_OR_RETURN(auto root, parser.Parse());
  Predicate p;
  p.text_ = std::move(trimmed);
  p.root_ = std::move(root);
  return p;
}

bool Predicate::Matches(const Event& event) const { return Eval(*root_, event); }

// ---------------------------------------------------------------------------------------------
// Metric expressions

struct MetricExpression::Node {
  enum Kind { kNumber, kInput, kNeg, kAdd, kSub, kMul, kDiv } kind = kNumber;
  double number = 0;
  int input = 0;
  std::shared_ptr<const Node> left, right;
};

namespace {

using ENode = MetricExpression::Node;

class ExpressionParser {
 public:
  ExpressionParser(std::vector<Token> tokens, std::vector<std::string>* inputs)
      : tokens_(std::move(tokens)), inputs_(inputs) {}

  Result<std::shared_ptr<const ENode>> Parse() {
    VIGIL_ASSIGN_OR_RETURN(auto n, Sum());
    if (Peek().kind != Token::kEnd) return Error("unexpected '" + Peek().text + "'");
    return n;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  bool IsOp(const char* op) const { return Peek().kind == Token::kOp && Peek().text == op; }
  Status Error(const std::string& why) const {
    return ConfigError(why + " at column " + std::to_string(Peek().column));
  }
  static std::shared_ptr<const ENode> Binary(ENode::Kind k, std::shared_ptr<const ENode> l,
                                             std::shared_ptr<const ENode> r) {
    auto n = std::make_shared<ENode>();
    n->kind = k;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }
  Result<std::shared_ptr<const ENode>> Sum() {
    VIGIL_ASSIGN_OR_RETURN(auto left, Product());
    while (IsOp("+") || IsOp("-")) {
      ENode::Kind k = tokens_[pos_++].text == "+" ? ENode::kAdd : ENode::kSub;
      VIGIL_ASSIGN_OR_RETURN(auto right, Product());
      left = Binary(k, left, right);
    }
    return left;
  }
  Result<std::shared_ptr<const ENode>> Product() {
    VIGIL_ASSIGN_OR_RETURN(auto left, Unary());
    while (IsOp("*") || IsOp("/")) {
      ENode::Kind k = tokens_[pos_++].text == "*" ? ENode::kMul : ENode::kDiv;
      VIGIL_ASSIGN_OR_RETURN(auto right, Unary());
      left = Binary(k, left, right);
    }
    return left;
  }
  Result<std::shared_ptr<const ENode>> Unary() {
    if (IsOp("-")) {
      ++pos_;
      NestingGuard guard(&depth_);
      if (guard.too_deep()) return Error(TooDeep());
      VIGIL_ASSIGN_OR_RETURN(auto inner, Unary());
      return Binary(ENode::kNeg, inner, nullptr);
    }
    if (IsOp("(")) {
      ++pos_;
      NestingGuard guard(&depth_);
      if (guard.too_deep()) return Error(TooDeep());
      VIGIL_ASSIGN_OR_RETURN(auto inner, Sum());
      if (!IsOp(")")) return Error("expected ')'");
      ++pos_;
      return inner;
    }
    const Token& t = Peek();
    auto n = std::make_shared<ENode>();
    if (t.kind == Token::kNumber) {
      n->kind = ENode::kNumber;
      n->number = t.number;
    } else if (t.kind == Token::kName) {
      n->kind = ENode::kInput;
      auto it = std::find(inputs_->begin(), inputs_->end(), t.text);
      n->input = static_cast<int>(it - inputs_->begin());
      if (it == inputs_->end()) inputs_->push_back(t.text);
    } else {
      return Error("expected a metric name or a number");
    }
    ++pos_;
    return std::shared_ptr<const ENode>(n);
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::vector<std::string>* inputs_;
};

double EvalExpr(const ENode& n, const std::vector<double>& v) {
  switch (n.kind) {
    case ENode::kNumber:
      return n.number;
    case ENode::kInput:
      return v[n.input];
    case ENode::kNeg:
      return -EvalExpr(*n.left, v);
    case ENode::kAdd:
      return EvalExpr(*n.left, v) + EvalExpr(*n.right, v);
    case ENode::kSub:
      return EvalExpr(*n.left, v) - EvalExpr(*n.right, v);
    case ENode::kMul:
      return EvalExpr(*n.left, v) * EvalExpr(*n.right, v);
    case ENode::kDiv: {
      double d = EvalExpr(*n.right, v);
      return d == 0 ? std::nan("") : EvalExpr(*n.left, v) / d;
    }
  }
  return std::nan("");
}

}  // namespace

Result<MetricExpression> MetricExpression::Parse(std::string_view text) {
  std::string trimmed = Trimmed(text);
  if (trimmed.empty()) return ConfigError("empty expression");
  VIGIL_ASSIGN_OR_RETURN(auto tokens, Tokenize(trimmed));
  MetricExpression e;
  ExpressionParser parser(std::move(tokens), &e.inputs_);
  VIGIL_ASSIGN_OR_RETURN(e.root_, parser.Parse());
  e.text_ = std::move(trimmed);
  return e;
}

double MetricExpression::Evaluate(const std::vector<double>& values) const {
  return EvalExpr(*root_, values);
}

}  // namespace vigil
