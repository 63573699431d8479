import torch.nn.functional as F


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        scores = model(X)
    correct = 0
    for row, label in zip(scores, y, strict=True):
        if int(row.argmax()) == int(label):
            correct += 1
    return correct / len(y)


def fit(model, X_train, y_train, epochs=30, lr=1e-3, batch_size=64, seed=0):
    generator = torch.Generator()
    generator.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = len(X_train)
    history = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        batch_losses = []
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(X_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        history.append(sum(batch_losses) / len(batch_losses))
    return history
